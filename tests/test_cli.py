"""The CLI skeleton: help for every command, version, a light start-up."""

from __future__ import annotations

import subprocess
import sys
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


def test_help_imports_no_heavy_library():
    # What keeps `kgft --help` instant; its time is measured by bench/cli_startup.py, not asserted here.
    code = (
        "import sys; from click.testing import CliRunner; import cli;"
        "r=CliRunner().invoke(cli.cli, ['--help']); assert r.exit_code==0, r.output;"
        "print(sorted(m for m in ('torch','torch_geometric','neo4j','rdflib','pyoxigraph') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"heavy modules imported at start-up: {out.stdout}"


def test_groups_present(runner):
    result = runner.invoke(cli, ["--help"])
    for group in ("data", "neo4j"):
        assert group in result.output


def test_ctrl_c_while_the_interpreter_exits_prints_no_traceback():
    # The command has ended when its atexit hooks run; a SIGINT then (simulated by a hook sending
    # one) must neither print a KeyboardInterrupt traceback nor change the exit status.
    code = (
        "import atexit, os, signal, sys, time; import cli;"
        "atexit.register(lambda: (os.kill(os.getpid(), signal.SIGINT), time.sleep(0.2)));"
        "sys.argv = ['kgft', '--version']; cli.main()"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("kgft, version"), out.stdout
    assert "KeyboardInterrupt" not in out.stderr and "Traceback" not in out.stderr, out.stderr
