"""Export a store's graph to an RDF file, atomically."""

from __future__ import annotations

import logging
from pathlib import Path

from kg.errors import DataError
from kg.fsutil import atomic_path
from kg.progress import progress
from kg.store import Store

log = logging.getLogger(__name__)


def export_store(store: Store, path: Path, format: str = "nt") -> int:
    """Write every triple of ``store`` to ``path``.

    The file is written next to its destination and renamed into place, so an
    interrupted export never leaves a half-written file. A store with a
    ``dump(path, format)`` method (the embedded store) uses it; others are
    streamed through pyoxigraph's serializer from ``store.triples()``.

    Args:
        store (Store): An open store.
        path (Path): Output file (``.gz`` is not compressed; name it plainly).
        format (str): ``nt``, ``nquads``, ``turtle``, ``trig``, ``rdfxml`` or ``jsonld``. (default: ``"nt"``)

    Returns:
        int: Triples written.

    Raises:
        ConfigError: unknown format.
        DataError: the output cannot be written.
    """
    import pyoxigraph as ox

    from kg.parse import normalize_format, rdf_format
    from kg.terms import to_ox

    fmt = normalize_format(format)
    path = Path(path)
    try:
        with atomic_path(path, suffix=".part") as tmp:
            dump = getattr(store, "dump", None)
            if callable(dump):
                count = dump(tmp, fmt)
            else:
                count = 0

                target = rdf_format(fmt)
                make = ox.Quad if target.supports_datasets else ox.Triple

                def statements():
                    nonlocal count
                    for s, p, o in progress(store.triples(), desc=f"export {path.name}", unit=" triples"):
                        count += 1
                        yield make(to_ox(s), to_ox(p), to_ox(o))

                with open(tmp, "wb") as out:
                    ox.serialize(statements(), out, target)
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc.strerror or exc}") from exc
    log.info("exported %d triples to %s", count, path)
    return count
