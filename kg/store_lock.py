"""Readers share an embedded store, a writer has it alone: an advisory lock in the store directory.

Oxigraph's read-only instances take no lock of their own, and reading while
another process writes is undefined, so kgft locks the store itself:
``fcntl.flock`` on ``<store>/kgft.lock``, shared (``LOCK_SH``) for readers and
exclusive (``LOCK_EX``) for writers, never waiting. Any number of readers
(queries, stats, exports, training) run side by side; a writer excludes
readers and other writers, and is excluded by them. The lock belongs to the
open file, so it is released on :meth:`StoreLock.release` or when the process
ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from core.errors import StoreError

#: The lock file's name inside a store directory.
LOCK_FILE = "kgft.lock"


class StoreLock:
    """A held shared or exclusive lock on a store directory.

    Args:
        directory (Path): The store directory (must exist).
        exclusive (bool): Writer (exclusive) rather than reader (shared) lock.

    Raises:
        StoreError: another process holds a conflicting lock.
    """

    def __init__(self, directory: Path, exclusive: bool) -> None:
        self._fd: int | None = os.open(Path(directory) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            raise StoreError(
                f"the store {directory} is in use by another process",
                hint="wait for the other kgft command to finish (readers share a store, a writer needs it alone)",
            ) from None

    def release(self) -> None:
        """Give the lock up (closing the file releases it); a second call does nothing."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
