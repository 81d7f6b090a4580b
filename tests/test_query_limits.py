"""Limits of ``kgft query sparql``: timeouts, Ctrl-C/SIGTERM, no network by default, readers share the store.

A costly query (an 8-way cross join over 13 triples: 13^8 rows to count)
would run for hours; it must stop at ``--timeout``, on SIGINT and on SIGTERM
with a one-line error, and leave the store usable. So must a costly update
(``--write``), which must then leave the store exactly as it was, although its
first operation had already inserted a triple. Federated SERVICE only
ever targets 127.0.0.1 here: a closed port, or a socket that never answers.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli import cli
from kg.embedded import EmbeddedStore
from core.errors import StoreError
from kg.store_lock import StoreLock

ROOT = Path(__file__).resolve().parents[1]
COSTLY = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
          "?m ?n1 ?o . ?p ?q ?r . ?s ?t ?u . ?v ?w ?x }")
SMALL = "SELECT ?s WHERE { ?s <http://ex.org/p> <http://ex.org/o3> }"
INSERT = "INSERT DATA { <http://ex.org/new> <http://ex.org/p> <http://ex.org/o> }"
COSTLY_UPDATE = (f"{INSERT} ; INSERT {{ ?a <http://ex.org/q> ?c }} WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . "
                 "?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r . ?s ?t ?u . ?v ?w ?x }")
ORIGINAL = {f"<http://ex.org/s{i}> <http://ex.org/p> <http://ex.org/o{i}> ." for i in range(13)}


@pytest.fixture
def store_dir(tmp_path) -> Path:
    """A store of 13 triples ``<s_i> <p> <o_i>``."""
    path = tmp_path / "t.nt"
    path.write_text("".join(f"<http://ex.org/s{i}> <http://ex.org/p> <http://ex.org/o{i}> .\n" for i in range(13)),
                    encoding="utf-8")
    with EmbeddedStore(tmp_path / "kb") as store:
        store.import_file(path)
    return tmp_path / "kb"


def sparql(runner, store_dir: Path, query: str, *options: str):
    return runner.invoke(cli, ["query", "sparql", query, "--store", str(store_dir), "--format", "csv", *options])


def one_line_error(result) -> str:
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def assert_small_query_works(runner, store_dir: Path) -> None:
    result = sparql(runner, store_dir, SMALL)
    assert result.exit_code == 0 and result.output == "s\nhttp://ex.org/s3\n", result.output


def assert_unchanged_and_writable(runner, store_dir: Path, tmp_path: Path) -> None:
    """The store holds exactly its 13 triples, and an update (from a new process: no stale lock) still writes."""
    out = tmp_path / "export.nt"
    result = runner.invoke(cli, ["ontology", "export", "--store", str(store_dir), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert set(out.read_text(encoding="utf-8").splitlines()) == ORIGINAL
    assert_small_query_works(runner, store_dir)
    result = subprocess.run([sys.executable, "-c", "import cli; cli.cli()", "query", "sparql", INSERT,
                             "--store", str(store_dir), "--write", "--format", "csv"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == "triples_added\n1\n", (result.stdout, result.stderr)


def free_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_of(pid: int) -> int | None:
    """The pid of the query worker child of ``pid``, if it runs (Linux /proc)."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            cmdline = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid) and b"kg.query_worker" in cmdline:
            return int(status.parent.name)
    return None


def test_costly_query_stops_at_the_timeout_and_the_store_stays_usable(runner, store_dir):
    start = time.perf_counter()
    line = one_line_error(sparql(runner, store_dir, COSTLY, "--timeout", "1"))
    assert "SPARQL query stopped after 1 s (--timeout)" in line and "--timeout 0" not in line
    assert time.perf_counter() - start < 30  # not the hours the query needs
    assert_small_query_works(runner, store_dir)


def test_costly_update_stops_at_the_timeout_and_writes_nothing(runner, store_dir, tmp_path):
    start = time.perf_counter()
    line = one_line_error(sparql(runner, store_dir, COSTLY_UPDATE, "--write", "--timeout", "1"))
    assert "SPARQL update stopped after 1 s (--timeout); nothing was written" in line
    assert time.perf_counter() - start < 30
    assert_unchanged_and_writable(runner, store_dir, tmp_path)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="finding the worker process needs Linux /proc")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_a_running_update_and_nothing_is_written(runner, store_dir, tmp_path, signum):
    proc = subprocess.Popen([sys.executable, "-c", "import cli; cli.cli()", "query", "sparql", COSTLY_UPDATE,
                             "--store", str(store_dir), "--write", "--timeout", "120"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while worker_of(proc.pid) is None:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.5)  # the update is running (its INSERT DATA applied, uncommitted)
        line = one_line_error(sparql(runner, store_dir, SMALL))
        assert "is in use by another process" in line  # the writer lock is held throughout
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 1 and err == "Error: interrupted\n" and out == "", (proc.returncode, out, err)
    assert_unchanged_and_writable(runner, store_dir, tmp_path)


def test_timeout_must_not_be_negative(runner, store_dir):
    result = sparql(runner, store_dir, SMALL, "--timeout", "-1")
    assert result.exit_code == 2 and "--timeout" in result.output


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="finding the worker process needs Linux /proc")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_a_running_query_while_readers_share_the_store(runner, store_dir, tmp_path, signum):
    proc = subprocess.Popen([sys.executable, "-c", "import cli; cli.cli()", "query", "sparql", COSTLY,
                             "--store", str(store_dir), "--timeout", "120"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while (worker := worker_of(proc.pid)) is None:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        # Readers share the store with the running query; a writer is refused.
        stats = runner.invoke(cli, ["ontology", "stats", "--store", str(store_dir), "--json"])
        assert stats.exit_code == 0 and '"triples": 13' in stats.output, stats.output
        assert_small_query_works(runner, store_dir)
        data = tmp_path / "more.nt"
        data.write_text("<http://ex.org/x> <http://ex.org/p> <http://ex.org/y> .\n", encoding="utf-8")
        write = runner.invoke(cli, ["ontology", "import", str(data), "--store", str(store_dir)])
        assert "is in use by another process" in one_line_error(write)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 1 and err == "Error: interrupted\n" and out == "", (proc.returncode, out, err)
    assert not Path(f"/proc/{worker}").exists() or "Z" in Path(f"/proc/{worker}/stat").read_text().split()[2]
    assert_small_query_works(runner, store_dir)
    result = runner.invoke(cli, ["ontology", "import", str(data), "--store", str(store_dir)])
    assert result.exit_code == 0 and "1 added" in result.output, result.output


def test_a_writer_excludes_readers_and_readers_exclude_a_writer(runner, store_dir):
    with EmbeddedStore(store_dir):  # a writer
        for args in (["query", "sparql", SMALL], ["ontology", "stats"]):
            result = runner.invoke(cli, [*args, "--store", str(store_dir)])
            assert f"the store {store_dir} is in use by another process" in one_line_error(result)
        with pytest.raises(StoreError, match="in use"):
            EmbeddedStore(store_dir, read_only=True)
    with EmbeddedStore(store_dir, read_only=True), EmbeddedStore(store_dir, read_only=True):  # two readers
        assert_small_query_works(runner, store_dir)
        with pytest.raises(StoreError, match="in use by another process"):
            EmbeddedStore(store_dir)
        with pytest.raises(StoreError, match="in use by another process"):
            StoreLock(store_dir, exclusive=True)
    EmbeddedStore(store_dir).close()  # every lock was released


def test_a_query_with_write_still_runs_and_is_bounded(runner, store_dir):
    assert sparql(runner, store_dir, SMALL, "--write").output == "s\nhttp://ex.org/s3\n"
    line = one_line_error(sparql(runner, store_dir, COSTLY, "--write", "--timeout", "0.5"))
    assert "stopped after 0.5 s" in line


def test_federated_service_is_refused_unless_allowed(runner, store_dir):
    endpoint = f"http://127.0.0.1:{free_port()}/sparql"
    query = f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"
    for text in (query, query.replace("SERVICE", "SERVICE SILENT"), "SELECT * WHERE { SERVICE ?x { ?s ?p ?o } }"):
        line = one_line_error(sparql(runner, store_dir, text))
        assert "refusing a federated SERVICE query" in line and "--allow-service" in line
    # Allowed, the request is made (and refused by the closed port).
    assert "Connection refused" in one_line_error(sparql(runner, store_dir, query, "--allow-service"))
    silent = sparql(runner, store_dir, query.replace("SERVICE", "SERVICE SILENT"), "--allow-service")
    assert silent.exit_code == 0, silent.output
    # The word inside a literal is not a SERVICE clause.
    text = sparql(runner, store_dir, f'SELECT ?x WHERE {{ BIND("SERVICE <{endpoint}>" AS ?x) }}')
    assert text.exit_code == 0 and endpoint in text.output


def test_load_is_refused_unless_allowed(runner, store_dir):
    line = one_line_error(sparql(runner, store_dir, f"LOAD <http://127.0.0.1:{free_port()}/x.nt>", "--write"))
    assert "refusing LOAD of a remote document" in line and "--allow-service" in line


def test_the_timeout_bounds_an_allowed_service_that_never_answers(runner, store_dir):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()  # connections are queued, never answered
        query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{server.getsockname()[1]}/sparql> {{ ?s ?p ?o }} }}"
        line = one_line_error(sparql(runner, store_dir, query, "--allow-service", "--timeout", "1"))
    assert "stopped after 1 s" in line
