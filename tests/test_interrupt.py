"""Signals inside a shielded section wait for its end; none is lost."""

import os
import signal

import pytest

from kg.interrupt import shielded, terminate_as_interrupt


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


def test_a_quiet_shielded_block_raises_nothing_and_restores_the_handlers():
    before = signal.getsignal(signal.SIGINT)
    with shielded():
        pass
    assert signal.getsignal(signal.SIGINT) is before


def test_a_signal_after_an_import_is_committed_lets_it_stand(tmp_path, monkeypatch, caplog):
    """Ctrl-C while the import ledger is written (the store already holds the file whole): the import
    is reported as it is, with a warning, not as interrupted."""
    from kg.embedded import EmbeddedStore
    from kg.import_ledger import ImportLedger

    data = tmp_path / "small.nt"
    data.write_text("".join(f"<http://e/s{i}> <http://e/p> \"v{i}\" .\n" for i in range(10)), encoding="utf-8")
    record = ImportLedger.record

    def record_then_interrupt(self, *args):
        os.kill(os.getpid(), signal.SIGINT)
        record(self, *args)

    monkeypatch.setattr(ImportLedger, "record", record_then_interrupt)
    with EmbeddedStore(tmp_path / "store") as store:
        result = store.import_file(data)
        assert result.triples_added == 10 and store.count() == 10
    assert "was complete: it stands" in caplog.text
    monkeypatch.undo()
    with EmbeddedStore(tmp_path / "store") as store:  # recorded in the ledger: a re-import adds nothing
        assert store.import_file(data).extra["skipped"]
