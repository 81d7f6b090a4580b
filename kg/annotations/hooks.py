"""What the linker, the classifier and explanations take from the annotations (link, unlink, class and
triple rows)."""

from __future__ import annotations

from kg.annotations.backends import stored_annotations


def annotated_label_pairs(store) -> tuple[list[tuple[str, str]], list[tuple[str, str | None]]]:
    """The phrases experts added to, or took from, the linker.

    Args:
        store (Store): The embedded store or Neo4j.

    Returns:
        tuple: ``(extra_pairs, unlinks)``: ``(concept IRI, phrase)`` for every ``link`` row, and
        ``(phrase, concept IRI or None)`` for every ``unlink`` row (``None``: no concept at all);
        each pair once, in file and line order.
    """
    rows = [s.annotation for s in stored_annotations(store)]
    extra = [(row.object, row.subject) for row in rows if row.kind == "link"]
    unlinks = [(row.subject, row.object or None) for row in rows if row.kind == "unlink"]
    return list(dict.fromkeys(extra)), list(dict.fromkeys(unlinks))


def class_concepts(store) -> dict[str, str]:
    """``{class label: concept IRI}`` from the ``class`` rows.

    Args:
        store (Store): The embedded store or Neo4j.
    """
    return {s.annotation.subject: s.annotation.object for s in stored_annotations(store)
            if s.annotation.kind == "class"}


def annotated_statements(store) -> dict[tuple[str, str, str], str]:
    """Where the graph's edges stated by ``triple`` rows come from, for marking evidence paths.

    Args:
        store (Store): The embedded store or Neo4j.

    Returns:
        dict: ``(subject, predicate, object IRI) -> "file:line"`` of the first row stating it
        (rows with a literal object are left out: a path never holds a literal).
    """
    from kg.annotations.fileformat import is_literal

    found: dict[tuple[str, str, str], str] = {}
    for stored in stored_annotations(store):
        row = stored.annotation
        if row.kind == "triple" and not is_literal(row.object):
            found.setdefault((row.subject, row.predicate, row.object), f"{row.source}:{row.line}")
    return found


def link_key(phrase: str) -> str:
    """A phrase as linked text and ``link`` rows compare (pieces, plurals folded)."""
    from kg.linking.normalize import pieces

    return " ".join(pieces(phrase, fold=True))


def annotated_links(store) -> dict[tuple[str, str], str]:
    """Where the links added by ``link`` rows come from, for marking linked mentions.

    Args:
        store (Store): The embedded store or Neo4j.

    Returns:
        dict: ``(phrase key, concept IRI) -> "file:line"`` of the first row adding it
        (:func:`link_key` of the phrase).
    """
    found: dict[tuple[str, str], str] = {}
    for stored in stored_annotations(store):
        row = stored.annotation
        if row.kind == "link":
            found.setdefault((link_key(row.subject), row.object), f"{row.source}:{row.line}")
    return found
