"""What the linker, the classifier and explanations take from the annotations (link, unlink, class and
triple rows).

Each function reads the list :func:`kg.annotations.backends.stored_annotations` gives, so a caller
reads a store's annotations once and hands the list to every hook it needs.
"""

from __future__ import annotations

from typing import Sequence

from kg.annotations.fileformat import is_literal
from kg.annotations.graph import StoredAnnotation
from kg.linking.normalize import phrase_key


def annotated_label_pairs(stored: Sequence[StoredAnnotation]) -> tuple[list[tuple[str, str]],
                                                                      list[tuple[str, str | None]]]:
    """The phrases experts added to, or took from, the linker.

    Args:
        stored (Sequence[StoredAnnotation]): A store's annotations.

    Returns:
        tuple: ``(extra_pairs, unlinks)``: ``(concept IRI, phrase)`` for every ``link`` row, and
        ``(phrase, concept IRI or None)`` for every ``unlink`` row (``None``: no concept at all);
        each pair once, in file and line order.
    """
    rows = [s.annotation for s in stored]
    extra = [(row.object, row.subject) for row in rows if row.kind == "link"]
    unlinks = [(row.subject, row.object or None) for row in rows if row.kind == "unlink"]
    return list(dict.fromkeys(extra)), list(dict.fromkeys(unlinks))


def class_concepts(stored: Sequence[StoredAnnotation]) -> dict[str, str]:
    """``{class label: concept IRI}`` from the ``class`` rows.

    Args:
        stored (Sequence[StoredAnnotation]): A store's annotations.
    """
    return {s.annotation.subject: s.annotation.object for s in stored if s.annotation.kind == "class"}


def annotated_statements(stored: Sequence[StoredAnnotation]) -> dict[tuple[str, str, str], str]:
    """Where the graph's edges stated by ``triple`` rows come from, for marking evidence paths.

    Args:
        stored (Sequence[StoredAnnotation]): A store's annotations.

    Returns:
        dict: ``(subject, predicate, object IRI) -> "file:line"`` of the first row stating it
        (rows with a literal object are left out: a path never holds a literal).
    """
    found: dict[tuple[str, str, str], str] = {}
    for row in (s.annotation for s in stored):
        if row.kind == "triple" and not is_literal(row.object):
            found.setdefault((row.subject, row.predicate, row.object), f"{row.source}:{row.line}")
    return found


def annotated_links(stored: Sequence[StoredAnnotation]) -> dict[tuple[str, str], str]:
    """Where the links added by ``link`` rows come from, for marking linked mentions.

    Args:
        stored (Sequence[StoredAnnotation]): A store's annotations.

    Returns:
        dict: ``(phrase key, concept IRI) -> "file:line"`` of the first row adding it (the key:
        :func:`kg.linking.normalize.phrase_key` with plurals folded).
    """
    found: dict[tuple[str, str], str] = {}
    for row in (s.annotation for s in stored):
        if row.kind == "link":
            found.setdefault((phrase_key(row.subject, fold=True), row.object), f"{row.source}:{row.line}")
    return found
