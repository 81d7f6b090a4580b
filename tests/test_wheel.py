"""kgft installed from its wheel, outside the checkout: the README's "your own data" workflow runs.

The wheel is built from a copy of the source tree (``pip wheel --no-deps``,
no network) and installed into a fresh virtual environment whose only link
to this one is a ``.pth`` line naming this environment's site-packages, so
the dependencies are reused while kgft's own modules must come from the wheel.
Every command then runs from a temporary directory outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from test_readme_api import CUES, ONTOLOGY
from toy_data import write_sentiment_csv

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

#: Files the installed package reads at run time (importlib.resources), and the new modules.
SHIPPED = [
    "cli.py",
    "kg/obo.py",
    "kg/neo4j_server/pom.xml",
    "kg/neo4j_server/java/GraphWriter.java",
    "kg/neo4j_server/java/NTriplesParser.java",
    "kg/neo4j_server/java/RdfLoader.java",
    "kg/neo4j_server/java/TripleGroups.java",
    "ontologies/class_maps/sentiment.toml",
    "ontologies/class_maps/ohsumed_mesh.toml",
    "pipelines/api.py",
    "pipelines/tracking.py",
]


def run(cmd: list, cwd: Path, env: dict, timeout: int = 300) -> str:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd}: {proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """kgft's wheel, built from a copy of the source tree (the checkout stays untouched)."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "runs", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".kgft", ".gl"))
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", work / "dist", src], work, dict(os.environ))
    (built,) = (work / "dist").glob("kgft-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, dict]:
    """A fresh virtual environment with the wheel installed; its env variables for subprocesses."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    run([sys.executable, "-m", "venv", "--without-pip", venv], venv.parent, dict(os.environ))
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    venv.parent, dict(os.environ)).strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "kgft_test_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "-q", wheel],
        venv.parent, env)
    return venv, env


def test_wheel_ships_the_plugin_sources_and_class_maps(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in SHIPPED if name not in names]
    assert not missing
    assert not any(name.startswith("tests/") for name in names)


def test_installed_modules_and_plugin_sources_come_from_the_wheel(installed, tmp_path):
    venv, env = installed
    probe = ("import json, cli, kg, model, pipelines, ontologies; from kg.neo4j_server import plugin; "
             "from importlib import resources; "
             "print(json.dumps({'modules': [m.__file__ for m in (cli, kg, model, pipelines, ontologies)], "
             "'java': sorted(plugin.sources()), "
             "'plugin_dir': str(resources.files('kg.neo4j_server').joinpath('java'))}))")
    found = json.loads(run([venv / "bin" / "python", "-c", probe], tmp_path, env))
    site = str(venv.resolve())
    assert all(path.startswith(site) for path in found["modules"]), found["modules"]
    assert found["plugin_dir"].startswith(site)
    assert found["java"] == ["GraphWriter.java", "NTriplesParser.java", "RdfLoader.java", "TripleGroups.java"]


def test_own_data_workflow_runs_from_the_installed_wheel(installed, tmp_path):
    """import (OBO) → embed → train → evaluate → explain, with the wheel's `kgft` outside the checkout."""
    venv, env = installed
    kgft = venv / "bin" / "kgft"
    (tmp_path / "ontology.obo").write_text(ONTOLOGY, encoding="utf-8")
    write_sentiment_csv(tmp_path / "my.csv", CUES, 60)
    out = run([kgft, "ontology", "import", "ontology.obo", "--store", "kb"], tmp_path, env)
    assert "(obo," in out
    run([kgft, "embed", "--store", "kb", "--dim", "8", "--epochs", "2", "--eval-every", "1", "--out", "runs/kge",
         "-q"], tmp_path, env)
    assert list((tmp_path / "runs" / "kge" / "tensorboard").glob("events.out.tfevents.*"))
    run([kgft, "train", "--dataset", "my.csv", "--knowledge", "runs/kge", "--out", "runs/mine", "--epochs", "1",
         "--embedding-dim", "8", "--hidden", "8", "--batch-size", "16", "--device", "cpu", "-q"], tmp_path, env)
    metrics = json.loads(run([kgft, "evaluate", "runs/mine", "--json", "-q"], tmp_path, env))
    assert metrics["accuracy"] == pytest.approx(json.loads((tmp_path / "runs/mine/metrics.json").read_text())["accuracy"])
    explained = json.loads(run([kgft, "explain", "runs/mine", "a real masterpiece", "--format", "json",
                                "--steps", "4", "-q"], tmp_path, env))
    assert explained["explanations"][0]["text"] == "a real masterpiece"


def test_quickstart_default_config_resolves_from_the_wheel(installed, tmp_path):
    venv, env = installed
    probe = "from pipelines.quickstart import DEFAULT_CONFIG; print(DEFAULT_CONFIG.is_file())"
    assert run([venv / "bin" / "python", "-c", probe], tmp_path, env).strip() == "True"
