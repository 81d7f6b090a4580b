"""The local Neo4j server lifecycle, against a REAL Neo4j 5.26 started from Maven Central.

These tests start their own server on a free port with its own home (never the
shared one on 7687), and use a test-only password.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cli import cli
from core.errors import ServerError
from kg.neo4j_server import ServerLayout, resolve_classpath

TEST_PASSWORD = "kgft-lifecycle-test-pw"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_home(tmp_path_factory) -> Path:
    """KGFT_HOME of this module's private server (its classpath is resolved once)."""
    return tmp_path_factory.mktemp("neo4j_server_home")


@pytest.fixture(scope="module")
def server_port() -> int:
    return _free_port()


@pytest.fixture
def server_env(monkeypatch, server_home, server_port):
    """Point kgft at the private server: KGFT_HOME, port and password."""
    monkeypatch.setenv("KGFT_HOME", str(server_home))
    monkeypatch.setenv("KGFT_NEO4J_PORT", str(server_port))
    monkeypatch.setenv("NEO4J_PASSWORD", TEST_PASSWORD)
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.delenv("NEO4J_USERNAME", raising=False)
    monkeypatch.setenv("KGFT_NEO4J_HEAP", "1g")  # a small server beside the shared one
    monkeypatch.setenv("KGFT_NEO4J_PAGECACHE", "256m")
    return ServerLayout(server_home / "neo4j")


def _one_line_error(result, *needles: str) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.output
    return lines[0]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.neo4j
@pytest.mark.slow
def test_lifecycle_start_connect_twice_stop(runner, server_env, server_port, monkeypatch):
    layout = server_env
    # A stale pid file (its process is gone) must not block the start.
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    layout.pid_file.write_text(json.dumps({"pid": _dead_pid(), "port": server_port, "version": "5.26.0"}))

    result = runner.invoke(cli, ["neo4j", "start"])
    assert result.exit_code == 0, result.output
    assert "is running: pid " in result.output and f"bolt://127.0.0.1:{server_port}" in result.output
    assert "ready in" in result.output
    pid = json.loads(layout.pid_file.read_text())["pid"]

    import neo4j

    with neo4j.GraphDatabase.driver(f"bolt://127.0.0.1:{server_port}", auth=("neo4j", TEST_PASSWORD)) as drv:
        records, _, _ = drv.execute_query("RETURN 1 AS one")
        assert records[0]["one"] == 1
        records, _, _ = drv.execute_query("CALL dbms.components() YIELD versions, edition RETURN *")
        assert records[0]["versions"][0].startswith("5.26.")
        assert records[0]["edition"] == "community"
        # kgft's import procedure was compiled and installed with the server
        records, _, _ = drv.execute_query("SHOW PROCEDURES YIELD name WHERE name = 'kgft.importNTriples' RETURN name")
        assert [r["name"] for r in records] == ["kgft.importNTriples"]
    # Authentication is on: a wrong password is refused.
    with neo4j.GraphDatabase.driver(f"bolt://127.0.0.1:{server_port}", auth=("neo4j", "wrong-password")) as drv:
        with pytest.raises(neo4j.exceptions.AuthError):
            drv.verify_connectivity()

    again = runner.invoke(cli, ["neo4j", "start"])
    assert again.exit_code == 0, again.output
    assert "already running" in again.output and f"pid {pid}" in again.output

    status = runner.invoke(cli, ["neo4j", "status", "--json"])
    assert status.exit_code == 0, status.output
    state = json.loads(status.output)
    assert state["running"] is True and state["pid"] == pid
    assert state["uri"] == f"bolt://127.0.0.1:{server_port}" and state["version"].startswith("5.26.")

    stop = runner.invoke(cli, ["neo4j", "stop"])
    assert stop.exit_code == 0, stop.output
    assert f"stopped pid {pid}" in stop.output
    assert not layout.pid_file.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server_port), timeout=1).close()
    assert "stopped" in runner.invoke(cli, ["neo4j", "status"]).output
    assert "not running" in runner.invoke(cli, ["neo4j", "stop"]).output

    # A restart with another password than the one set at first start fails and leaves
    # nothing running.
    other = "not-the-first-password"
    monkeypatch.setenv("NEO4J_PASSWORD", other)
    wrong = runner.invoke(cli, ["neo4j", "start"])
    _one_line_error(wrong, "differs from the one set when this server was first started")
    assert not layout.pid_file.exists()
    assert "stopped" in runner.invoke(cli, ["neo4j", "status"]).output

    # The passwords are never printed or logged.
    outputs = result.output + again.output + status.output + stop.output + wrong.output
    assert other not in outputs
    assert TEST_PASSWORD not in outputs
    for log_file in layout.logs_dir.iterdir():
        assert TEST_PASSWORD not in log_file.read_text(errors="replace"), log_file


def test_server_that_dies_reports_log_tail(runner, server_env, monkeypatch):
    monkeypatch.setenv("KGFT_NEO4J_HEAP", "1k")  # the JVM refuses to start with this heap
    result = runner.invoke(cli, ["neo4j", "start"])
    line = _one_line_error(result, "Neo4j exited with status", str(server_env.logs_dir), "heap")
    assert "exited" in line
    assert not server_env.pid_file.exists()


def test_stale_pid_file_is_removed(runner, server_env):
    layout = server_env
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    # A dead pid, and a live pid that is not a Neo4j server (this test process).
    for pid in (_dead_pid(), os.getpid()):
        layout.pid_file.write_text(json.dumps({"pid": pid, "port": 1, "version": "5.26.30"}))
        result = runner.invoke(cli, ["neo4j", "status"])
        assert result.exit_code == 0, result.output
        assert "stopped" in result.output and f"removed stale pid file (pid {pid})" in result.output
        assert not layout.pid_file.exists()


def test_stop_kills_a_server_that_ignores_sigterm(server_env):
    """`stop` sends SIGTERM, waits, then SIGKILLs (a stand-in process with the server's argv)."""
    from kg.neo4j_server import status, stop

    layout = server_env
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    code = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print(1, flush=True); time.sleep(120)")
    proc = subprocess.Popen([sys.executable, "-c", code, "org.neo4j.server.CommunityEntryPoint",
                             f"--home-dir={layout.home}"], stdout=subprocess.PIPE)
    try:
        proc.stdout.readline()  # SIGTERM is ignored from here on
        layout.pid_file.write_text(json.dumps({"pid": proc.pid, "port": _free_port(), "version": "5.26.30"}))
        state = status(home=layout.home)
        assert state.running and state.pid == proc.pid and state.note == "its Bolt port does not answer"
        result = stop(home=layout.home, timeout=1)
        assert result.note == f"killed pid {proc.pid} after 1 s"
        assert proc.wait(timeout=10) == -9
        assert not layout.pid_file.exists()
    finally:
        proc.kill()
        proc.wait()


def test_port_taken_by_another_process(runner, server_env):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        result = runner.invoke(cli, ["neo4j", "start", "--port", str(port)])
    _one_line_error(result, f"Bolt port {port}", "already in use")
    assert not server_env.pid_file.exists()


def test_missing_password(runner, server_env, monkeypatch):
    monkeypatch.delenv("NEO4J_PASSWORD")
    _one_line_error(runner.invoke(cli, ["neo4j", "start"]), "NEO4J_PASSWORD is not set")


def test_bad_port_env(runner, server_env, monkeypatch):
    monkeypatch.setenv("KGFT_NEO4J_PORT", "seventy")
    _one_line_error(runner.invoke(cli, ["neo4j", "start"]), "KGFT_NEO4J_PORT='seventy'")


def test_missing_java(runner, server_env, monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java (nor anything else) on PATH
    _one_line_error(runner.invoke(cli, ["neo4j", "start"]),
                    "Java 17+ is needed", "apt-get install openjdk-17-jre-headless")


def test_java_too_old(runner, server_env, monkeypatch, tmp_path):
    java_home = tmp_path / "jdk11"
    (java_home / "bin").mkdir(parents=True)
    fake = java_home / "bin" / "java"
    fake.write_text('#!/bin/sh\necho \'openjdk version "11.0.22" 2024-01-16\' >&2\n')
    fake.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(java_home))
    _one_line_error(runner.invoke(cli, ["neo4j", "start"]),
                    "needs Java 17 or newer", "Java 11", "install OpenJDK 17")


def test_missing_maven_on_first_start(runner, monkeypatch, tmp_path):
    """A fresh home has no cached classpath, so Maven is needed; say what to install."""
    import shutil

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").symlink_to(Path(shutil.which("java")).resolve())
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("NEO4J_PASSWORD", TEST_PASSWORD)
    monkeypatch.setenv("KGFT_NEO4J_PORT", str(_free_port()))
    _one_line_error(runner.invoke(cli, ["neo4j", "start"]), "Maven (mvn) is needed", "apt-get install maven")


def test_resolution_failure_offline(tmp_path):
    with pytest.raises(ServerError, match=r"cannot resolve org\.neo4j:neo4j:5\.26\.30 from Maven Central"):
        resolve_classpath(tmp_path / "lib", "5.26.30", repo_local=tmp_path / "empty-m2", offline=True)
    assert not list((tmp_path / "lib").glob("classpath-*"))


@pytest.mark.neo4j
def test_shared_server_fixture(neo4j_driver):
    """The session fixture reaches the server `make test` started (NEO4J_URI/credentials)."""
    records, _, _ = neo4j_driver.execute_query("RETURN 1 AS one")
    assert records[0]["one"] == 1
