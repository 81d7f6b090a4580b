"""Embedded imports stay all-or-nothing when the process is interrupted (Ctrl-C, SIGTERM, SIGKILL).

Each test runs ``kgft ontology import`` on a generated file as a subprocess
(1,000,000 N-Triples statements: several seconds of writes, so the signal lands
in them even when the machine is loaded and this process wakes late), waits
until the import journal shows that it writes, signals it, and checks that the
store holds exactly what it held before.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.embedded import EmbeddedStore
from kg.import_journal import JOURNAL

ROOT = Path(__file__).resolve().parents[1]
TRIPLES = 1_000_000
#: Turtle statements with blank nodes (the slower Python-side path), two triples each: as many
#: triples as the N-Triples file, so the signal lands in the writes on a fast host too.
TTL_TRIPLES = 500_000


@pytest.fixture(scope="module")
def big_nt(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("signals") / "big.nt"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(TRIPLES):
            fh.write(f'<http://e/s{i}> <http://e/p{i % 7}> "value number {i}" .\n')
    return path


@pytest.fixture(scope="module")
def big_ttl(tmp_path_factory) -> Path:
    """Turtle with blank nodes: the Python-side path (parsed, validated, then chunked)."""
    path = tmp_path_factory.mktemp("signals") / "big.ttl"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("@prefix e: <http://e/> .\n")
        for i in range(TTL_TRIPLES):
            fh.write(f'e:s{i} e:p [ e:q "v{i}" ] .\n')
    return path


def _seeded_store(tmp_path: Path, triples: int) -> Path:
    """A store holding ``triples`` triples (some of them also in the big file)."""
    store_dir = tmp_path / "store"
    seed = tmp_path / "seed.nt"
    seed.write_text("".join(f'<http://e/s{i}> <http://e/p{i % 7}> "value number {i}" .\n' for i in range(triples)),
                    encoding="utf-8")
    with EmbeddedStore(store_dir) as store:
        if triples:
            store.import_file(seed)
        assert store.count() == triples
    return store_dir


def _import_and_signal(store_dir: Path, data: Path, signum: int) -> subprocess.CompletedProcess:
    """Start the import, signal it once its journal exists (it is writing), wait for the exit."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", "ontology", "import", str(data), "--store", str(store_dir),
         "--quiet"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not (store_dir / JOURNAL).exists():
        assert proc.poll() is None, f"the import ended before it started writing: {proc.communicate()}"
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.005)
    time.sleep(0.2)  # well into the bulk writes
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow
@pytest.mark.parametrize("signum,seeded", [(signal.SIGINT, 20_000), (signal.SIGTERM, 0), (signal.SIGTERM, 20_000)],
                         ids=["sigint-nonempty", "sigterm-empty", "sigterm-nonempty"])
def test_an_interrupted_import_leaves_the_store_as_it_was(tmp_path, big_nt, signum, seeded):
    store_dir = _seeded_store(tmp_path, seeded)
    done = _import_and_signal(store_dir, big_nt, signum)
    assert done.returncode == 1, done
    assert "interrupted" in done.stderr
    assert not (store_dir / JOURNAL).exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no rollback copy left
    with EmbeddedStore(store_dir, read_only=True) as store:
        assert store.count() == seeded


@pytest.mark.slow
def test_an_interrupted_turtle_import_with_blank_nodes_rolls_back(tmp_path, big_ttl):
    store_dir = _seeded_store(tmp_path, 1_000)
    done = _import_and_signal(store_dir, big_ttl, signal.SIGINT)
    assert done.returncode == 1 and "interrupted" in done.stderr, done
    with EmbeddedStore(store_dir, read_only=True) as store:
        assert store.count() == 1_000


@pytest.mark.slow
def test_a_killed_import_is_rolled_back_when_the_store_is_next_opened(tmp_path, big_nt):
    store_dir = _seeded_store(tmp_path, 20_000)
    done = _import_and_signal(store_dir, big_nt, signal.SIGKILL)
    assert done.returncode == -signal.SIGKILL
    assert (store_dir / JOURNAL).exists()  # what SIGKILL leaves: the journal and the rollback copy
    with EmbeddedStore(store_dir, read_only=True) as store:
        assert store.count() == 20_000
    assert not (store_dir / JOURNAL).exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    with EmbeddedStore(store_dir) as store:  # and the store takes the file afterwards
        assert store.import_file(big_nt).triples_added == TRIPLES - 20_000
