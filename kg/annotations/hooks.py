"""What the linker and the classifier take from the annotations (link, unlink and class rows)."""

from __future__ import annotations

from kg.annotations.graph import stored_annotations


def annotated_label_pairs(store) -> tuple[list[tuple[str, str]], list[tuple[str, str | None]]]:
    """The phrases experts added to, or took from, the linker.

    Args:
        store (EmbeddedStore): The store.

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
        store (EmbeddedStore): The store.
    """
    return {s.annotation.subject: s.annotation.object for s in stored_annotations(store)
            if s.annotation.kind == "class"}
