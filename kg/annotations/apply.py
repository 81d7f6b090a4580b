"""Applying and removing annotation files: every check first, then the writes, on either store
(:func:`kg.annotations.graph.annotation_store`).

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
from kg.annotations.backends import annotation_store, stored_annotations
from kg.annotations.graph import AnnotationStore, StoredAnnotation, annotation_id
from core.errors import DataError, ParseError


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


def _check_concepts(held: AnnotationStore, rows: list[Annotation], path: Path) -> None:
    """Refuse a ``link`` or ``class`` row whose concept the graph says nothing about."""
    unknown = held.unknown_concepts({row.object for row in rows if row.kind in ("link", "class")})
    for row in rows:
        if row.kind in ("link", "class") and row.object in unknown:
            raise ParseError(path, f"unknown concept <{row.object}>: the store holds no statement about it", row.line,
                             hint="import the ontology that defines it, fix the IRI, or pass --allow-new")


def apply_file(store, path: Path | str, allow_new: bool = False) -> ApplyResult:
    """Check a whole annotation file against itself and the store, then write it (or nothing).

    Args:
        store (Store): The embedded store (opened for writing) or Neo4j.
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
    held = annotation_store(store)
    existing = held.annotations()
    check_conflicts([s.annotation for s in existing if s.annotation.source != path.name] + rows, path)
    if not allow_new:
        _check_concepts(held, rows, path)
    earlier = {s.id: s for s in existing if s.annotation.source == path.name}
    fresh_rows = [row for row in rows if annotation_id(row) not in earlier]
    in_graph = held.held(fresh_rows)
    wanted = _stored(rows, earlier, existing, in_graph)
    kept = {w.id for w in wanted}
    gone = [s for node, s in earlier.items() if node not in kept]
    add = [row for row in fresh_rows if row.kind == "triple" and row.statement not in in_graph]
    remaining = [s for s in existing if s.id not in earlier] + wanted
    held.commit(list(earlier.values()), wanted, add, _orphaned(gone, remaining))
    return ApplyResult(path.name, len(rows), len(fresh_rows), len(gone), len(add))


def _stored(rows: list[Annotation], earlier: dict, existing: list, in_graph: set) -> list[StoredAnnotation]:
    """``rows`` as stored (``earlier``: this file's stored rows by id, ``existing``: all stored rows,
    ``in_graph``: the statements of the new ``triple`` rows the graph holds).

    A row applied before keeps its time and what the graph held before it.
    """
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    stated = {s.annotation.statement for s in existing if s.annotation.kind == "triple"}
    result = []
    for row in rows:
        node = annotation_id(row)
        before = earlier.get(node)
        if before is not None:
            result.append(StoredAnnotation(node, row, before.time, before.preexisting))
        else:
            preexisting = row.statement in in_graph and row.statement not in stated
            result.append(StoredAnnotation(node, row, now, preexisting))
    return result


def _orphaned(gone: list[StoredAnnotation], remaining: list[StoredAnnotation]) -> list[Annotation]:
    """The ``triple`` rows of ``gone`` whose statement only they added (no ``remaining`` row states it)."""
    still = {s.annotation.statement for s in remaining if s.annotation.kind == "triple"}
    drop: dict[tuple, Annotation] = {}
    for stored in gone:
        row = stored.annotation
        if row.kind == "triple" and not stored.preexisting and row.statement not in still:
            drop.setdefault(row.statement, row)
    return list(drop.values())


def _remove(store, gone_ids: set[str]) -> int:
    """Remove the stored annotations whose ids are in ``gone_ids``; returns how many there were."""
    held = annotation_store(store)
    existing = held.annotations()
    gone = [s for s in existing if s.id in gone_ids]
    remaining = [s for s in existing if s.id not in gone_ids]
    if gone:
        held.commit(gone, [], [], _orphaned(gone, remaining))
    return len(gone)


def remove_source(store, source: str) -> int:
    """Remove every annotation applied from the file named ``source``.

    Returns:
        int: The annotations removed.

    Raises:
        DataError: the store holds no annotation from ``source``.
    """
    existing = stored_annotations(store)
    gone = {s.id for s in existing if s.annotation.source == source}
    if not gone:
        sources = sorted({s.annotation.source for s in existing})
        raise DataError(f"no annotations from {source!r} in the store",
                        hint=f"sources: {', '.join(sources)}" if sources else "the store holds no annotations")
    return _remove(store, gone)


def remove_file(store, path: Path | str) -> int:
    """Remove the annotations of the rows of an annotation file (applied under its file name).

    Returns:
        int: The annotations removed (rows never applied count nothing).

    Raises:
        ParseError: the file is malformed (nothing is removed).
    """
    return _remove(store, {annotation_id(row) for row in read_annotations(path)})
