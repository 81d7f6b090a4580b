"""The files the embedded store holds whole: re-importing one adds nothing, so it is not read again.

After a file's import commits, :class:`ImportLedger` records it in
``<store>/kgft-imports.json`` under a key made of the SHA-256 of its bytes
(the same digest Neo4j's ``:_KgftImport`` record uses) and, for formats with
relative IRIs, the base IRI they were resolved against. Importing a recorded
file again returns at once: hashing the file is all it costs.

A record stays true only while nothing is removed, since imports only add
statements. So every kgft write that can remove statements forgets the whole
ledger first (durably, before the removal): an annotation commit that drops
statements, and a SPARQL update (:meth:`kg.embedded.EmbeddedStore.lent`). A
rolled-back import swaps the store directory for its rollback copy, which
has no ledger. A lost or unreadable ledger only means the next import of a
file goes the full way (it still adds nothing that is there).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from core.fsutil import fsync_path, write_json_atomic

log = logging.getLogger(__name__)

LEDGER = "kgft-imports.json"
#: Formats whose IRIs are all absolute: their triples do not depend on a base IRI.
_ABSOLUTE_FORMATS = ("nt", "nq")


class ImportLedger:
    """The record of the files imported whole into the store ``directory``.

    Args:
        directory (Path): The store directory.
    """

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / LEDGER

    @staticmethod
    def key(sha256: str, path: Path, fmt: str, base_iri: str | None) -> str:
        """The record key of a file: its digest, and the base IRI where relative IRIs can occur.

        Args:
            sha256 (str): The file's SHA-256 (:func:`kg.parse.file_sha256`).
            path (Path): The file (its ``file://`` URI is the default base).
            fmt (str): Its format name.
            base_iri (str, optional): The base IRI passed to the import.
        """
        if fmt in _ABSOLUTE_FORMATS:
            return sha256
        return f"{sha256} {base_iri or Path(path).resolve().as_uri()}"

    def _entries(self) -> dict:
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("%s is unreadable (%s): every file will be imported in full", self.path, exc)
            return {}
        return entries if isinstance(entries, dict) else {}

    def triples(self, key: str) -> int | None:
        """The triples a recorded import read, or ``None`` when ``key`` is not recorded."""
        entry = self._entries().get(key)
        return entry.get("triples") if isinstance(entry, dict) else None

    def record(self, key: str, triples: int, path: Path, fmt: str) -> None:
        """Record a committed import (call after the store was flushed)."""
        entries = self._entries()
        entries[key] = {"triples": triples, "file": str(path), "format": fmt}
        try:
            write_json_atomic(self.path, entries, indent=1)
        except OSError as exc:  # the import stands; a later one of this file goes the full way
            log.warning("cannot record the import of %s in %s: %s", path, self.path, exc)

    def forget(self) -> None:
        """Drop every record, durably (call before removing anything from the store)."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            return
        fsync_path(self.path.parent)
