"""Loading a file too large to buffer into the embedded store, in chunks, so memory stays bounded.

A file is validated first (:func:`kg.parse.validate`), then its parsed
statements are bulk-loaded a chunk at a time. For an N-Triples file without
blank-node labels there is nothing to rename, so Oxigraph parses the text
itself (no Python objects): the file is cut into chunks of
:data:`CHUNK_BYTES` at line ends and several chunks are bulk-loaded at once on
:data:`LOAD_THREADS` threads, alongside the validation pass; the loads are
``lenient`` because that pass checks every IRI. Oxigraph's bulk loader has
no transactions: the caller (:class:`kg.embedded.EmbeddedStore`) makes the
whole load all-or-nothing under an import journal.
"""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from kg.interrupt import shielded
from kg.lexical_forms import form_quads, form_quads_of_lines
from core.cores import available_cores
from core.progress import progress

if TYPE_CHECKING:
    from kg.embedded import EmbeddedStore

#: N-Triples text handed to one Oxigraph bulk load (a few such chunks are in flight at once).
CHUNK_BYTES = 8 << 20
#: Threads loading N-Triples chunks concurrently (Oxigraph's loader releases the GIL,
#: so a second core shortens a load; see BENCHMARKS.md).
LOAD_THREADS = max(1, min(4, available_cores()))


def _bulk_load(store, text: bytes, format) -> int:
    store.bulk_load(text, format, lenient=True)
    forms = form_quads_of_lines(text, format)
    if forms:
        store.bulk_extend(forms)
    return len(text)


def load_in_chunks(store: EmbeddedStore, path: Path, fmt: str, base_iri: str | None, label: str,
                   chunk_quads: int, scope: str) -> int:
    """Validate a file, then bulk-load it in chunks; returns the statements read.

    Args:
        store (EmbeddedStore): The store written (its ``oxigraph`` is looked up per
            chunk, so no frame keeps the Oxigraph store itself alive).
        path (Path): The file (any format of :mod:`kg.parse`).
        fmt (str): Its format name.
        base_iri (str, optional): Base of relative IRIs (as :func:`kg.parse.iter_quads`).
        label (str): Progress-bar description.
        chunk_quads (int): Parsed statements per bulk load.
        scope (str): The file's blank-node scope (:func:`kg.parse.file_scope`).

    Raises:
        ParseError: a syntax error (some chunks may be written; the caller rolls back).
    """
    from itertools import islice

    from kg.parse import has_blank_node_labels, iter_quads, validate

    if fmt == "nt" and not has_blank_node_labels(path):
        return _validate_and_load(store, path, fmt, label)
    _, read = validate(path, fmt, base_iri=base_iri, desc=f"check {path.name}")
    statements = iter(progress(iter_quads(path, fmt, base_iri=base_iri, scope=scope), total=read, desc=label, unit=" triples"))
    while chunk := list(islice(statements, chunk_quads)):
        store.oxigraph.bulk_extend(chunk + form_quads(chunk, store.oxigraph))
    return read


def _validate_and_load(store: EmbeddedStore, path: Path, fmt: str, label: str) -> int:
    """Validate an N-Triples file while bulk-loading it in chunks; returns the statements read.

    The load runs alongside the validation (the two overlap on separate
    cores); on a syntax error or an interrupt the load stops after the
    chunks in flight and the error propagates (the caller rolls back).

    """
    from kg.parse import iter_line_chunks, rdf_format, validate

    chunks = iter_line_chunks(path, CHUNK_BYTES)
    stop = threading.Event()
    with ThreadPoolExecutor(1, thread_name_prefix="kgft-feed") as feeder:
        loading = feeder.submit(_load_chunks, store, chunks, rdf_format(fmt), label, stop)
        try:
            read = validate(path, fmt, desc=f"check {path.name}")[1]
            loading.result()
        except BaseException:
            stop.set()
            # Wait for the loader (its own error, if any, is superseded by this one).
            with shielded():
                wait([loading])
            raise
    return read


def _load_chunks(store: EmbeddedStore, chunks: Iterator[bytes], format, label: str,
                 stop: threading.Event | None = None) -> None:
    """Bulk-load validated text chunks on :data:`LOAD_THREADS` threads, at most twice as many in flight.

    The chunks are loaded ``lenient`` (the caller validates them), and the
    graph is a set, so the order in which chunks land does not matter.
    Setting ``stop`` ends the load after the chunks in flight.
    """
    pending: set = set()
    with ThreadPoolExecutor(LOAD_THREADS, thread_name_prefix="kgft-load") as pool:
        with progress(desc=label, unit="B", unit_scale=True) as bar:
            for text in chunks:
                if stop is not None and stop.is_set():
                    break
                if len(pending) >= 2 * LOAD_THREADS:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    bar.update(sum(future.result() for future in done))  # re-raises a loader error
                pending.add(pool.submit(_bulk_load, store.oxigraph, text, format))
            bar.update(sum(future.result() for future in pending))
