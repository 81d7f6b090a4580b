"""Annotation rows that cannot all hold: a row repeated in a file, a phrase both linked and unlinked
to a concept, a class label mapped to two concepts. Phrases compare as the linker sees them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from core.errors import ParseError
from kg.linking.normalize import phrase_key

if TYPE_CHECKING:
    from kg.annotations.fileformat import Annotation


def _conflict(row: Annotation, phrase: str, seen: dict) -> str | None:
    """Why ``row`` repeats or contradicts a row in ``seen`` (see :func:`_keys`), else ``None``."""
    repeat = seen.get(("row", row.source) + row.statement)
    if repeat is not None:
        return f"the same {row.kind} row as {repeat[0]}"
    if row.kind == "link":
        opposite = [("unlink", phrase, row.object), ("unlink", phrase, "")]
    elif row.kind == "unlink":
        opposite = [("link", phrase, row.object or None)]  # an unlink of any concept meets every link
    else:
        opposite = [("class", phrase)]
    for key in opposite:
        found = seen.get(key)
        if found is not None and (row.kind != "class" or found[1] != row.object):
            return f"the {row.kind} row of {row.subject!r} contradicts the {key[0]} row at {found[0]}"
    return None


def _keys(row: Annotation, phrase: str) -> Iterator[tuple]:
    """What :func:`_conflict` looks up for later rows: the statement, and the phrase's kind and concept."""
    yield ("row", row.source) + row.statement
    if row.kind == "link":
        yield "link", phrase, row.object
        yield "link", phrase, None
    elif row.kind == "unlink":
        yield "unlink", phrase, row.object
    elif row.kind == "class":
        yield "class", phrase


def check_conflicts(annotations: Iterable[Annotation], path: Path | str) -> None:
    """Refuse a row repeated in a file, a ``link`` and an ``unlink`` of one phrase and concept, a class of two concepts.

    Phrases compare as the linker sees them (:func:`kg.linking.normalize.phrase_key`). Rows from other files
    may come first (they are reported as ``source:line``); the first row that conflicts
    with an earlier one is reported.

    Args:
        annotations (Iterable[Annotation]): The rows, in order.
        path (Path or str): The file reported for the row that conflicts.

    Raises:
        ParseError: ``file:line: reason`` for the first row that conflicts.
    """
    earlier: dict[tuple, tuple[str, str]] = {}
    for row in annotations:
        phrase = phrase_key(row.subject) if row.kind != "triple" else row.subject
        reason = _conflict(row, phrase, earlier)
        if reason is not None:
            raise ParseError(path, reason, row.line,
                             hint="remove one of the two rows (kgft annotate list shows what the store holds)")
        for key in _keys(row, phrase):
            earlier.setdefault(key, (f"{row.source}:{row.line}", row.object))
