"""A file's batches as N-Triples text, for kgft's server procedure.

Two ways to cut them, chosen per file and deterministic (a resumed import
cuts the same batches):

* **raw lines**: an N-Triples file (optionally ``.gz``) with no blank-node
  label and no carriage return anywhere is sent as it is, ``batch_size``
  triple lines per batch (blank and comment lines dropped, so a batch holds
  the same triples as on the parsed way): the text needs no blank-node
  scoping and the server's parser reads every N-Triples form, so the client
  only reads lines.
* **parsed**: any other file is parsed with its blank nodes scoped
  (:func:`kg.parse.iter_quads`), ``batch_size`` triples per batch, and each
  batch re-serialized as N-Triples by pyoxigraph.

Either way the file has been validated to the end before the first batch is
cut (see :mod:`kg.neo4j_store.importer`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from kg.neo4j_store.batch import Batch

@dataclass(frozen=True)
class TextBatch:
    """One batch as N-Triples text.

    Args:
        text (str): N-Triples lines (blank nodes already scoped).
        size (int): How many triples the text holds.
    """

    text: str
    size: int

    def __len__(self) -> int:
        return self.size

    def to_batch(self, batch: Batch) -> Batch:
        """Parse the text into ``batch`` (an empty :class:`Batch`) for the Cypher path; returns it."""
        import pyoxigraph as ox

        batch.add_ox(ox.parse(self.text.encode("utf-8"), ox.RdfFormat.N_TRIPLES), self.size)
        return batch


def sendable_as_is(path: Path, fmt: str) -> bool:
    """Whether the file's own lines can be sent (N-Triples without ``_:`` or ``\r`` bytes; one scan)."""
    from kg.parse import contains_any

    return fmt == "nt" and not contains_any(path, (b"_:", b"\r"))


def _is_triple(line: bytes) -> bool:
    """Whether an N-Triples line holds a triple (not blank, not a comment)."""
    if line[:1] in (b"<", b"_"):
        return True
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(b"#")


def _raw_batches(path: Path, skip: int, batch_size: int) -> Iterator[TextBatch]:
    from kg.parse import iter_lines

    lines = filter(_is_triple, iter_lines(path))
    for _ in itertools.islice(lines, skip * batch_size):
        pass
    while True:
        chunk = list(itertools.islice(lines, batch_size))
        if not chunk:
            return
        yield TextBatch(b"".join(chunk).decode("utf-8"), len(chunk))


def _parsed_batches(path: Path, fmt: str, scope: str, skip: int, batch_size: int,
                    base_iri: str | None) -> Iterator[TextBatch]:
    import pyoxigraph as ox

    from kg.parse import iter_quads

    quads = itertools.islice(iter_quads(path, fmt, scope=scope, base_iri=base_iri), skip * batch_size, None)
    while True:
        chunk = list(itertools.islice(quads, batch_size))
        if not chunk:
            return
        yield TextBatch(ox.serialize(chunk, format=ox.RdfFormat.N_QUADS).decode("utf-8"), len(chunk))


def text_batches(path: Path, fmt: str, scope: str, skip: int, batch_size: int,
                 base_iri: str | None = None) -> Iterator[TextBatch]:
    """The file's batches after the first ``skip`` ones (see the module docstring).

    Args:
        path (Path): The validated RDF file.
        fmt (str): Its format name.
        scope (str): The blank-node scope (:func:`kg.parse.file_scope`).
        skip (int): Batches already committed.
        batch_size (int): Lines (raw) or triples (parsed) per batch.
        base_iri (str, optional): Base of relative IRIs (:func:`kg.parse.iter_quads`). (default: ``None``)
    """
    if sendable_as_is(path, fmt):
        return _raw_batches(path, skip, batch_size)
    return _parsed_batches(path, fmt, scope, skip, batch_size, base_iri)
