"""Applying and removing annotation files: every check first, then the writes (:mod:`kg.annotations.graph`).

Applying a file again changes nothing; applying it after an edit replaces
what it applied before (rows gone from it are removed). A ``triple`` row adds
its statement to the graph; removing the row removes the statement unless
the graph held it before the row was applied, or another ``triple`` row still
states it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from kg.annotations.conflicts import check_conflicts
from kg.annotations.fileformat import Annotation, read_annotations
from kg.annotations.graph import StoredAnnotation, annotation_id, node_quads, statement_quad, stored_annotations
from kg.errors import DataError, ParseError


@dataclass(frozen=True)
class ApplyResult:
    """What applying one file did.

    Args:
        source (str): The file name.
        rows (int): Rows in the file.
        added (int): Rows new to the store.
        removed (int): Rows of an earlier version of the file, gone from it.
        triples_added (int): Statements ``triple`` rows added to the graph.
    """

    source: str
    rows: int
    added: int
    removed: int
    triples_added: int


def _check_concepts(store, rows: list[Annotation], path: Path) -> None:
    """Refuse a ``link`` or ``class`` row whose concept the graph says nothing about."""
    import pyoxigraph as ox

    default = ox.DefaultGraph()
    for row in rows:
        if row.kind in ("link", "class") and next(
                iter(store.oxigraph.quads_for_pattern(ox.NamedNode(row.object), None, None, default)), None) is None:
            raise ParseError(path, f"unknown concept <{row.object}>: the store holds no statement about it", row.line,
                             hint="import the ontology that defines it, fix the IRI, or pass --allow-new")


def apply_file(store, path: Path | str, allow_new: bool = False) -> ApplyResult:
    """Check a whole annotation file against itself and the store, then write it (or nothing).

    Args:
        store (EmbeddedStore): The store (opened for writing).
        path (Path or str): The annotation file.
        allow_new (bool): Accept ``link``/``class`` concepts the store holds nothing about. (default: ``False``)

    Returns:
        ApplyResult: What changed.

    Raises:
        ParseError: ``file:line: reason`` for a malformed row, a contradiction (within the file or
            with another file's annotations) or an unknown concept; the store is unchanged.
        DataError: the file cannot be read.
    """
    path = Path(path)
    rows = read_annotations(path)
    existing = stored_annotations(store)
    check_conflicts([s.annotation for s in existing if s.annotation.source != path.name] + rows, path)
    if not allow_new:
        _check_concepts(store, rows, path)
    earlier = {s.id: s for s in existing if s.annotation.source == path.name}
    wanted = _stored(store, rows, earlier, existing)
    kept = {w.id for w in wanted}
    gone = [s for node, s in earlier.items() if node not in kept]
    fresh = [w.annotation for w in wanted if w.id not in earlier]
    statements = {statement_quad(row) for row in fresh if row.kind == "triple"}
    triples_added = sum(1 for quad in statements if quad not in store.oxigraph)
    _rewrite(store, list(earlier.values()), wanted, statements)
    _retract(store, gone)
    return ApplyResult(path.name, len(rows), len(fresh), len(gone), triples_added)


def _stored(store, rows: list[Annotation], earlier: dict, existing: list) -> list[StoredAnnotation]:
    """``rows`` as stored (``earlier``: this file's stored rows by id, ``existing``: all stored rows).

    A row applied before keeps its time and what the graph held before it.
    """
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    stated = {statement_quad(s.annotation) for s in existing if s.annotation.kind == "triple"}
    result = []
    for row in rows:
        node = annotation_id(row)
        before = earlier.get(node)
        if before is not None:
            result.append(StoredAnnotation(node, row, before.time, before.preexisting))
        else:
            statement = statement_quad(row) if row.kind == "triple" else None
            preexisting = statement is not None and statement in store.oxigraph and statement not in stated
            result.append(StoredAnnotation(node, row, now, preexisting))
    return result


def _rewrite(store, old: list[StoredAnnotation], new: list[StoredAnnotation], statements: set) -> None:
    """Replace the quads of ``old`` nodes by those of ``new`` ones (writing only the difference)."""
    before = set().union(*(node_quads(s) for s in old))
    after = set().union(*(node_quads(s) for s in new))
    for quad in before - after:
        store.oxigraph.remove(quad)
    store.oxigraph.extend(list(after - before) + list(statements))


def _retract(store, gone: list[StoredAnnotation]) -> None:
    """Remove the nodes of ``gone`` (already gone from the graph or not) and the statements only they added."""
    for stored in gone:
        for quad in node_quads(stored):
            store.oxigraph.remove(quad)
    still = {statement_quad(s.annotation) for s in stored_annotations(store) if s.annotation.kind == "triple"}
    for stored in gone:
        if stored.annotation.kind == "triple" and not stored.preexisting:
            statement = statement_quad(stored.annotation)
            if statement not in still:
                store.oxigraph.remove(statement)


def remove_source(store, source: str) -> int:
    """Remove every annotation applied from the file named ``source``.

    Returns:
        int: The annotations removed.

    Raises:
        DataError: the store holds no annotation from ``source``.
    """
    existing = stored_annotations(store)
    gone = [s for s in existing if s.annotation.source == source]
    if not gone:
        sources = sorted({s.annotation.source for s in existing})
        raise DataError(f"no annotations from {source!r} in the store",
                        hint=f"sources: {', '.join(sources)}" if sources else "the store holds no annotations")
    _retract(store, gone)
    return len(gone)


def remove_file(store, path: Path | str) -> int:
    """Remove the annotations of the rows of an annotation file (applied under its file name).

    Returns:
        int: The annotations removed (rows never applied count nothing).

    Raises:
        ParseError: the file is malformed (nothing is removed).
    """
    ids = {annotation_id(row) for row in read_annotations(path)}
    gone = [s for s in stored_annotations(store) if s.id in ids]
    _retract(store, gone)
    return len(gone)
