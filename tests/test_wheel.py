"""kgft installed from its wheel, outside the checkout: the README's "your own data" workflow runs.

The wheel is built from a copy of the source tree (``pip wheel --no-deps``,
no network) and installed into a fresh virtual environment whose only link
to this one is a ``.pth`` line naming this environment's site-packages, so
the dependencies are reused while kgft's own modules must come from the wheel.
Every command then runs from a temporary directory outside the checkout.
The Neo4j test starts a second, private server from the wheel's ``kgft`` (its
own KGFT_HOME and Bolt port, beside the shared one on 7687), with the plugin
compiled from the Java sources in the wheel, and always stops it again.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
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
WHEEL_SERVER_PASSWORD = "kgft-wheel-test-pw"
GOOD = "http://purl.obolibrary.org/obo/TOY_0000100"  # the OBO term TOY:0000100, "good", a positive polarity

#: Files the installed package reads at run time (importlib.resources), and the new modules.
SHIPPED = [
    "cli.py",
    "commands/options.py",
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def wheel_server(installed, tmp_path_factory) -> tuple[Path, dict, Path]:
    """A second Neo4j server started by the wheel's `kgft` (own home and port), stopped at the end.

    Its jars come from Maven's local repository (~/.m2, shared with the other
    servers), resolved with the pom the wheel ships; its plugin is compiled
    under its own home from the wheel's Java sources.
    """
    venv, base_env = installed
    cwd = tmp_path_factory.mktemp("wheel_server_cwd")
    home = tmp_path_factory.mktemp("wheel_server_home")
    port = _free_port()
    env = {k: v for k, v in base_env.items() if k not in ("NEO4J_USERNAME", "NEO4J_DATABASE")}
    env.update(KGFT_HOME=str(home), KGFT_NEO4J_PORT=str(port), NEO4J_URI=f"bolt://127.0.0.1:{port}",
               NEO4J_PASSWORD=WHEEL_SERVER_PASSWORD, KGFT_NEO4J_HEAP="512m", KGFT_NEO4J_PAGECACHE="64m",
               KGFT_NEO4J_LOADER="plugin")  # imports fail unless the server has the wheel-built plugin
    kgft = venv / "bin" / "kgft"
    try:
        out = run([kgft, "neo4j", "start", "--timeout", "300"], cwd, env, timeout=900)
        assert "is running: pid " in out and f"bolt://127.0.0.1:{port}" in out and str(home.resolve()) in out, out
        yield home, env, cwd
    finally:  # also after a failed or timed-out start: the pid file under `home` names the JVM
        stopped = subprocess.run([str(kgft), "neo4j", "stop"], cwd=cwd, env=env, capture_output=True,
                                 text=True, timeout=180)
    assert stopped.returncode == 0 and "Neo4j is stopped" in stopped.stdout, stopped.stdout + stopped.stderr


@pytest.mark.neo4j
def test_neo4j_start_import_and_query_from_the_installed_wheel(wheel, installed, wheel_server):
    """`kgft neo4j start` (plugin built from the wheel) → `ontology import --neo4j` → `query cypher`."""
    from kg.neo4j_server.plugin import JAR_PREFIX, jar_name
    from kg.neo4j_server.resolve import neo4j_version

    venv, _ = installed
    home, env, cwd = wheel_server
    kgft = venv / "bin" / "kgft"
    with zipfile.ZipFile(wheel) as archive:
        wheel_java = {Path(name).name: archive.read(name) for name in archive.namelist()
                      if name.startswith("kg/neo4j_server/java/") and name.endswith(".java")}
        wheel_pom = archive.read("kg/neo4j_server/pom.xml")
    assert (home / "neo4j" / "lib" / "pom.xml").read_bytes() == wheel_pom  # Maven resolved with the wheel's pom
    jars = sorted(p.name for p in (home / "neo4j" / "plugins").glob(f"{JAR_PREFIX}*.jar"))
    assert jars == [jar_name(neo4j_version(), wheel_java)]  # named by the wheel's sources' digest
    with zipfile.ZipFile(home / "neo4j" / "plugins" / jars[0]) as plugin_jar:
        classes = {Path(name).stem for name in plugin_jar.namelist() if name.endswith(".class")}
    assert {Path(name).stem for name in wheel_java} <= classes
    state = json.loads(run([kgft, "neo4j", "status", "--json"], cwd, env))
    assert state["running"] and state["home"] == str(home.resolve() / "neo4j") and state["uri"] == env["NEO4J_URI"]

    (cwd / "ontology.obo").write_text(ONTOLOGY, encoding="utf-8")
    out = run([kgft, "ontology", "import", "ontology.obo", "--neo4j"], cwd, env)
    assert "(obo," in out and "neo4j: " in out
    query = ("MATCH (c:Resource {uri: $uri})-[r]->(parent:Resource) WHERE type(r) = $sub "
             "RETURN c.uri AS uri, c[$label] AS label, parent[$label] AS parent")
    rows = json.loads(run([kgft, "query", "cypher", query, "--param", f"uri=<{GOOD}>", "--param",
                           "sub=rdfs:subClassOf", "--param", "label=rdfs:label", "--format", "json"], cwd, env))["rows"]
    assert rows == [{"uri": GOOD, "label": ["good"], "parent": ["positive polarity"]}]
