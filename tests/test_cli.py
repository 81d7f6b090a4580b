"""The CLI skeleton: help for every command, version, start-up time."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import click
import pytest

from cli import cli

ROOT = Path(__file__).resolve().parents[1]


def _all_commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        path = prefix + (name,)
        yield path
        if isinstance(cmd, click.Group):
            yield from _all_commands(cmd, path)


@pytest.mark.parametrize("path", list(_all_commands(cli)), ids=lambda p: " ".join(p))
def test_every_command_has_help(runner, path):
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    cmd = cli
    for part in path:
        cmd = cmd.commands[part]
    assert (cmd.help or "").strip(), f"kgft {' '.join(path)} has no help text"


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("kgft, version ")


def test_help_is_fast_and_imports_no_torch():
    code = (
        "import sys, time; t=time.perf_counter();"
        "from click.testing import CliRunner; import cli;"
        "r=CliRunner().invoke(cli.cli, ['--help']); assert r.exit_code==0, r.output;"
        "print(time.perf_counter()-t);"
        "print(sorted(m for m in ('torch','torch_geometric','neo4j','rdflib','pyoxigraph') if m in sys.modules))"
    )
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    elapsed, heavy = out.stdout.strip().splitlines()
    assert heavy == "[]", f"heavy modules imported at start-up: {heavy}"
    assert wall < 2.0, f"kgft --help took {wall:.2f}s including interpreter start"
    assert float(elapsed) < 0.5


def test_groups_present(runner):
    result = runner.invoke(cli, ["--help"])
    for group in ("data", "neo4j"):
        assert group in result.output
