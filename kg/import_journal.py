"""All-or-nothing imports into the embedded store: a rollback copy and a journal file.

Oxigraph's bulk loader writes outside transactions, so before a large import
writes anything :class:`ImportJournal` takes a RocksDB checkpoint of the store
(``pyoxigraph.Store.backup``: hard links to the immutable table files, a few
milliseconds whatever the store's size) into the hidden sibling directory
``.<store>.kgft-rollback``, and then writes the journal ``<store>/kgft-import.json``
naming the file being imported. The import is committed when the journal is
removed; the rollback copy is deleted after that.

A failed or interrupted import (a syntax error, Ctrl-C, SIGTERM) swaps the
rollback copy back in place of the store. After a SIGKILL or a power loss the
journal is still there, and :func:`recover` (run whenever the store is opened)
finishes the job: every state the steps above can stop in leads either to the
store as it was before the import or, once the journal is gone, as it is after.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from core.errors import StoreError
from core.fsutil import fsync_path
from kg.store_lock import StoreLock

log = logging.getLogger(__name__)

JOURNAL = "kgft-import.json"


def _sibling(directory: Path, role: str) -> Path:
    return directory.with_name(f".{directory.name}.kgft-{role}")


def recover(directory: Path) -> bool:
    """Finish what an interrupted import left in or next to the store ``directory`` (not open here).

    Takes the store's writer lock while it works (:mod:`kg.store_lock`), so an
    import running in another process is left alone.

    Returns:
        bool: Whether a half-done import was rolled back.

    Raises:
        StoreError: another process uses the store while an import journal is
            there, or the journal's rollback copy is gone (removed by hand).
    """
    directory = Path(directory)
    leftovers = [_sibling(directory, role) for role in ("rollback", "discard")]
    if not ((directory / JOURNAL).exists() or any(p.exists() for p in leftovers)):
        return False
    lock = StoreLock(directory, exclusive=True) if directory.is_dir() else None
    try:
        undone = _restore(directory)
        if undone:
            log.warning("%s: rolled back an import that was cut short", directory)
        return undone
    finally:
        if lock is not None:
            lock.release()


def _restore(directory: Path) -> bool:
    """Swap the rollback copy in if an import was under way, then delete the leftovers."""
    rollback, discard = _sibling(directory, "rollback"), _sibling(directory, "discard")
    journal = directory / JOURNAL
    undone = False
    if journal.exists() or (rollback.is_dir() and not directory.exists()):
        if not rollback.is_dir():
            raise StoreError(f"{directory} holds an interrupted import but its rollback copy {rollback} is gone",
                             hint=f"delete {journal} to keep what was imported, or rebuild the store")
        if directory.exists():
            os.replace(directory, discard)
        os.replace(rollback, directory)
        fsync_path(directory.parent)
        undone = True
    for leftover in (rollback, discard):
        shutil.rmtree(leftover, ignore_errors=True)
    return undone


class ImportJournal:
    """The rollback copy and journal of one import into the store ``directory``.

    Args:
        directory (Path): The store directory (open, writable).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.journal = self.directory / JOURNAL

    def begin(self, store, source: Path) -> None:
        """Checkpoint the open ``pyoxigraph.Store`` and write the journal (before any write).

        Raises:
            StoreError: the rollback copy or the journal cannot be written (nothing was imported).
        """
        rollback = _sibling(self.directory, "rollback")
        try:
            shutil.rmtree(rollback, ignore_errors=True)
            store.flush()
            store.backup(str(rollback))
            fsync_path(self.directory.parent)
            with open(self.journal, "w", encoding="utf-8") as fh:
                json.dump({"file": str(source), "pid": os.getpid()}, fh)
                fh.flush()
                os.fsync(fh.fileno())
            fsync_path(self.directory)
        except OSError as exc:
            shutil.rmtree(rollback, ignore_errors=True)
            raise StoreError(f"cannot prepare the import into {self.directory}: {exc}",
                             hint=f"the store's parent directory must be writable (for {rollback.name})") from exc

    def commit(self) -> None:
        """Keep what was written (call after the store was flushed)."""
        self.journal.unlink()
        fsync_path(self.directory)
        shutil.rmtree(_sibling(self.directory, "rollback"), ignore_errors=True)

    def roll_back(self) -> None:
        """Put the store back as :meth:`begin` found it (the store must be closed; its lock held)."""
        _restore(self.directory)
