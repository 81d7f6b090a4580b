"""Signals inside a shielded section wait for its end; none is lost."""

import os
import signal

import pytest

from kg.interrupt import LateInterrupt, shielded, terminate_as_interrupt


def test_ctrl_c_inside_a_shielded_block_is_raised_when_it_ends():
    finished = []
    with pytest.raises(KeyboardInterrupt):
        with shielded():
            os.kill(os.getpid(), signal.SIGINT)
            finished.append("the block ran to its end")
    assert finished == ["the block ran to its end"]


def test_sigterm_inside_a_shielded_block_is_raised_as_an_interrupt_when_it_ends():
    finished = []
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
        with terminate_as_interrupt(), shielded():
            os.kill(os.getpid(), signal.SIGTERM)
            finished.append("the block ran to its end")
    assert finished == ["the block ran to its end"]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_an_interrupt_between_two_installations_leaves_no_handler_behind(monkeypatch):
    """Ctrl-C after SIGINT's shield is installed and before SIGTERM's: both handlers are put back."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    install = signal.signal
    calls = []

    def interrupt_at_the_second(signum, handler):
        calls.append(signum)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return install(signum, handler)

    monkeypatch.setattr(signal, "signal", interrupt_at_the_second)
    with pytest.raises(KeyboardInterrupt):
        with shielded():
            pytest.fail("the block must not start")
    monkeypatch.undo()
    assert {sig: signal.getsignal(sig) for sig in before} == before


def test_a_quiet_shielded_block_raises_nothing_and_restores_the_handlers():
    before = signal.getsignal(signal.SIGINT)
    with shielded():
        pass
    assert signal.getsignal(signal.SIGINT) is before


def _sigint_before(monkeypatch, owner, name: str, when=lambda *args: True) -> None:
    """Patch ``owner.name`` to send this process SIGINT (where ``when(*args)``), then run as before."""
    original = getattr(owner, name)

    def interrupted(self, *args):
        if when(*args):
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, *args)

    monkeypatch.setattr(owner, name, interrupted)


@pytest.mark.parametrize("step", ["journal commit", "ledger record"])
def test_a_signal_after_an_import_is_written_lets_it_stand(tmp_path, monkeypatch, step):
    """Ctrl-C while the import journal is committed or the import ledger written (the store already
    holds the file whole): the import stands and is recorded; the interrupt still stops the caller,
    saying what was imported."""
    import kg.embedded
    from kg.embedded import EmbeddedStore
    from kg.import_journal import ImportJournal
    from kg.import_ledger import ImportLedger

    data = tmp_path / "small.nt"
    data.write_text("".join(f"<http://e/s{i}> <http://e/p> \"v{i}\" .\n" for i in range(10)), encoding="utf-8")
    _sigint_before(monkeypatch, *((ImportJournal, "commit") if step == "journal commit" else (ImportLedger, "record")))
    monkeypatch.setattr(kg.embedded, "TRANSACTION_QUADS", 5)  # a bulk load under an import journal
    with EmbeddedStore(tmp_path / "store") as store:
        with pytest.raises(LateInterrupt) as late:
            store.import_file(data)
        assert late.value.result.triples_added == 10 and store.count() == 10
    monkeypatch.undo()
    with EmbeddedStore(tmp_path / "store") as store:  # kept, and recorded in the ledger: a re-import adds nothing
        assert store.count() == 10 and store.import_file(data).extra["skipped"]


def test_a_signal_while_the_first_parse_closes_stops_the_import(tmp_path, monkeypatch):
    """A large file's first parse is closed before the chunked load: Ctrl-C while it closes its file
    stops the import (the store unchanged), instead of being lost in the parse's finalizer."""
    from contextlib import contextmanager

    import kg.embedded
    import kg.parse
    from kg.embedded import EmbeddedStore

    data = tmp_path / "big.nt"
    data.write_text("".join(f"<http://e/s{i}> <http://e/p> \"v{i}\" .\n" for i in range(40)), encoding="utf-8")
    reading, closes = kg.parse._reading, []

    @contextmanager
    def interrupted_on_first_close(*args, **kwargs):
        with reading(*args, **kwargs) as fh:
            try:
                yield fh
            finally:
                closes.append(1)
                if len(closes) == 1:
                    os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(kg.parse, "_reading", interrupted_on_first_close)
    monkeypatch.setattr(kg.embedded, "BUFFER_QUADS", 10)  # 40 statements: the chunked path
    monkeypatch.setattr(kg.embedded, "TRANSACTION_QUADS", 5)
    with EmbeddedStore(tmp_path / "store") as store:
        with pytest.raises(KeyboardInterrupt):
            store.import_file(data)
        assert store.count() == 0
    monkeypatch.undo()
    with EmbeddedStore(tmp_path / "store") as store:
        assert store.import_file(data).triples_added == 40


def _two_files(tmp_path):
    files = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.nt"
        path.write_text("".join(f"<http://e/{name}{i}> <http://e/p> \"v\" .\n" for i in range(10)), encoding="utf-8")
        files.append(str(path))
    return files


def test_import_stops_at_a_signal_after_a_file_was_committed_and_says_what_stands(tmp_path, monkeypatch, runner):
    """Ctrl-C once the first of two files is imported whole: the command stops there and names both."""
    from cli import cli
    from kg.embedded import EmbeddedStore
    from kg.import_ledger import ImportLedger

    first, second = _two_files(tmp_path)
    _sigint_before(monkeypatch, ImportLedger, "record")
    result = runner.invoke(cli, ["ontology", "import", first, second, "--store", str(tmp_path / "store")])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"Error: interrupted; imported whole: {first}; not started: {second}"
    with EmbeddedStore(tmp_path / "store", read_only=True) as store:
        assert store.count() == 10


def test_import_interrupted_inside_a_file_names_it_as_not_imported(tmp_path, monkeypatch, runner):
    from cli import cli
    from kg.embedded import EmbeddedStore

    first, second = _two_files(tmp_path)
    _sigint_before(monkeypatch, EmbeddedStore, "_write_file", when=lambda path, *rest: path.name == "b.nt")
    result = runner.invoke(cli, ["ontology", "import", first, second, "--store", str(tmp_path / "store")])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Error: interrupted while importing {second}: not imported, the store is as it was before it; "
        f"imported whole: {first}")
    with EmbeddedStore(tmp_path / "store", read_only=True) as store:
        assert store.count() == 10
