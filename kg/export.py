"""Export a store's graph to an RDF file (atomically) or to standard output."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import IO

from core.errors import DataError
from core.fsutil import atomic_path, is_special_file, open_in_place
from core.progress import progress
from kg.store_protocol import Store

log = logging.getLogger(__name__)

#: The output name that means standard output.
STDOUT = "-"


def _serialize(store: Store, out: IO[bytes], fmt: str, label: str) -> int:
    """Write every triple of ``store`` to the binary stream ``out``; returns how many."""
    import pyoxigraph as ox

    from kg.parse import rdf_format
    from kg.terms import to_ox

    dump = getattr(store, "dump", None)
    if callable(dump):
        return dump(out, fmt)
    count = 0
    target = rdf_format(fmt)
    make = ox.Quad if target.supports_datasets else ox.Triple

    def statements():
        nonlocal count
        for s, p, o in progress(store.triples(), desc=f"export {label}", unit=" triples"):
            count += 1
            yield make(to_ox(s), to_ox(p), to_ox(o))

    ox.serialize(statements(), out, target)
    return count


def export_store(store: Store, path: Path | str, format: str = "nt") -> int:
    """Write every triple of ``store`` to ``path``, or to standard output when ``path`` is ``"-"``.

    A file is written next to its destination and renamed into place, so an
    interrupted export never leaves a half-written file; a symbolic link's
    target is replaced (the link stays) and a device, FIFO or ``/dev/stdout``
    is written in place (:func:`core.fsutil.is_special_file`). A store with a ``dump(stream, format)``
    method (the embedded store) uses it; others are streamed through
    pyoxigraph's serializer from ``store.triples()``.

    Args:
        store (Store): An open store.
        path (Path or str): Output file (``.gz`` is not compressed; name it plainly), or ``"-"``.
        format (str): ``nt``, ``nquads``, ``turtle``, ``trig``, ``rdfxml`` or ``jsonld``. (default: ``"nt"``)

    Returns:
        int: Triples written.

    Raises:
        ConfigError: unknown format.
        DataError: the output cannot be written.
    """
    from kg.parse import normalize_format

    fmt = normalize_format(format)
    try:
        if str(path) == STDOUT:
            out = sys.stdout.buffer
            count = _serialize(store, out, fmt, "stdout")
            out.flush()
        elif is_special_file(path):
            with open_in_place(path) as out:
                count = _serialize(store, out, fmt, Path(path).name)
        else:
            path = Path(path)
            with atomic_path(path, suffix=".part") as tmp, open(tmp, "wb") as out:
                count = _serialize(store, out, fmt, path.name)
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc.strerror or exc}") from exc
    log.info("exported %d triples to %s", count, path)
    return count
