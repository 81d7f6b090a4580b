"""Which :class:`~kg.annotations.graph.AnnotationStore` an open store has, and every annotation it holds
(read, or exported as one annotation file)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kg.annotations.fileformat import Annotation, write_annotations
from kg.annotations.graph import AnnotationStore, EmbeddedAnnotations, StoredAnnotation
from kg.annotations.neo4j import Neo4jAnnotations


def annotation_store(store) -> AnnotationStore:
    """The annotations of an open store (embedded or Neo4j)."""
    if type(store).__name__ == "Neo4jStore":
        return Neo4jAnnotations(store)
    return EmbeddedAnnotations(store)


def stored_annotations(store) -> list[StoredAnnotation]:
    """Every annotation the store holds, ordered by file name and line.

    Args:
        store (Store): The embedded store or Neo4j.
    """
    return annotation_store(store).annotations()


def export_annotations(store, path: Path | str) -> int:
    """Write every annotation the store holds as one annotation file (a statement of several files once).

    Args:
        store (Store): The embedded store or Neo4j.
        path (Path or str): The file (CSV when the name ends in ``.csv``, else TSV).

    Returns:
        int: The rows written.
    """
    rows: dict[tuple, Annotation] = {}
    for stored in stored_annotations(store):
        rows.setdefault(stored.annotation.statement, replace(stored.annotation, source="", line=0))
    return write_annotations([rows[key] for key in sorted(rows)], path)
