"""The annotation file: expert statements about an ontology, one per row, checked as a whole.

A TSV file (CSV when its name ends in ``.csv``) with a header naming the
columns ``kind``, ``subject``, ``object`` and, optionally, ``predicate``,
``author``, ``note``, ``score`` and ``reason`` (the last two: a proposal's
confidence in [0, 1] and why it was made, as ``kgft annotate suggest`` writes
them; they are not stored with the annotation); blank lines and lines starting with ``#`` are skipped.
Kinds:

- ``link``: ``subject`` is a phrase that names the concept IRI ``object``
  (a missing synonym or abbreviation);
- ``unlink``: the phrase ``subject`` must not link to ``object`` (a concept
  IRI, or empty or ``*``: to any concept);
- ``class``: the class label ``subject`` means the concept IRI ``object``;
- ``triple``: the statement ``subject predicate object`` (IRIs; the object may
  be a literal written ``"text"`` or ``"text"@en``).

:func:`read_annotations` reads and checks every row (also against the others,
:mod:`kg.annotations.conflicts`) before returning any, and raises on the first
problem with ``file:line``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator

from kg.annotations.conflicts import check_conflicts
from core.errors import DataError, ParseError

KINDS = ("link", "unlink", "class", "triple")
#: Columns every file has, and those it may have.
REQUIRED_COLUMNS = ("kind", "subject", "object")
OPTIONAL_COLUMNS = ("predicate", "author", "note", "score", "reason")
#: The column order :func:`write_annotations` uses (and the stored fields of a row).
COLUMNS = ("kind", "subject", "predicate", "object", "author", "note")
#: The proposal columns, written only when a row has a score or a reason.
PROPOSAL_COLUMNS = ("score", "reason")
#: The ``unlink`` object meaning "any concept".
ANY_CONCEPT = "*"
_LITERAL = re.compile(r'"(.*)"(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*))?', re.S)
_FORMAT_HINT = "see README.md, section Annotations, for the file format"


@dataclass(frozen=True)
class Annotation:
    """One statement of an annotation file.

    Args:
        kind (str): One of :data:`KINDS`.
        subject (str): A phrase or class label (``link``, ``unlink``, ``class``), or an IRI (``triple``).
        object (str): A concept IRI; ``""`` for an ``unlink`` of any concept; for ``triple`` an
            IRI or a literal written ``"text"`` / ``"text"@lang``.
        predicate (str): The predicate IRI of a ``triple``, else ``""``.
        author (str): Who made the statement (may be ``""``).
        note (str): Free text (may be ``""``).
        source (str): The file name it comes from.
        line (int): Its line in that file.
        score (float, optional): A proposal's confidence in [0, 1]. (default: ``None``)
        reason (str): Why it was proposed (may be ``""``).
    """

    kind: str
    subject: str
    object: str
    predicate: str = ""
    author: str = ""
    note: str = ""
    source: str = ""
    line: int = 0
    score: float | None = None
    reason: str = ""

    @property
    def statement(self) -> tuple[str, str, str, str]:
        """``(kind, subject, predicate, object)``: what the row says, without provenance."""
        return self.kind, self.subject, self.predicate, self.object


def is_literal(cell: str) -> bool:
    """Whether a ``triple`` object cell is a literal (``"text"`` or ``"text"@lang``)."""
    return cell.startswith('"')


def parse_literal(cell: str):
    """A literal cell as a ``pyoxigraph.Literal``; ``ValueError`` when malformed."""
    import pyoxigraph as ox

    match = _LITERAL.fullmatch(cell)
    if match is None:
        raise ValueError(f"malformed literal {cell!r} (write \"text\" or \"text\"@en)")
    text, language = match.groups()
    return ox.Literal(text, language=language) if language else ox.Literal(text)


def literal_cell(literal) -> str:
    """A plain or language-tagged ``pyoxigraph.Literal`` written as a cell (``"text"`` or ``"text"@lang``)."""
    return f'"{literal.value}"' + (f"@{literal.language}" if literal.language else "")


def check_iri(cell: str, role: str) -> str:
    """``cell`` if it is an absolute IRI (Oxigraph's check); ``ValueError`` otherwise."""
    import pyoxigraph as ox

    try:
        ox.NamedNode(cell)
    except ValueError as exc:
        raise ValueError(f"{role} {cell!r} is not an absolute IRI ({exc})") from None
    return cell


def _score(cell: str) -> float | None:
    """A ``score`` cell as a number in [0, 1] (``None`` when empty); ``ValueError`` otherwise."""
    if not cell:
        return None
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(f"score {cell!r} is not a number") from None
    if not 0 <= value <= 1:
        raise ValueError(f"score {cell!r} is not between 0 and 1")
    return value


def _checked(row: Annotation) -> Annotation:
    """``row`` with a normalized object, or ``ValueError`` saying what is wrong with it."""
    if not row.subject:
        raise ValueError(f"{row.kind} row without a subject")
    if row.kind != "triple" and row.predicate:
        raise ValueError(f"a {row.kind} row has no predicate (only triple rows do)")
    if row.kind == "unlink" and row.object in ("", ANY_CONCEPT):
        return replace(row, object="")
    if not row.object:
        raise ValueError(f"{row.kind} row without an object")
    if row.kind != "triple":
        check_iri(row.object, "object")
        return row
    check_iri(row.subject, "subject")
    if not row.predicate:
        raise ValueError("triple row without a predicate")
    check_iri(row.predicate, "predicate")
    if not is_literal(row.object):
        check_iri(row.object, "object")
        return row
    canonical = literal_cell(parse_literal(row.object))  # language tags compare in lower case
    return replace(row, object=canonical)


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of every non-blank, non-comment line (the header first)."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's byte order mark is dropped
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the annotation file {path}: {exc}") from exc
    if path.suffix.lower() == ".csv":
        reader = csv.reader(io.StringIO(text, newline=""))
        start = 1
        for cells in reader:
            if cells and any(cells) and not cells[0].startswith("#"):
                yield start, cells
            start = reader.line_num + 1
        return
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip() and not line.startswith("#"):
            yield number, line.removesuffix("\r").split("\t")


def _header(path: Path, line: int, cells: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    for name in names:
        if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            raise ParseError(path, f"unknown column {name!r} (columns: {', '.join(COLUMNS + PROPOSAL_COLUMNS)})", line,
                             hint=_FORMAT_HINT)
    for name in REQUIRED_COLUMNS:
        if name not in names:
            raise ParseError(path, f"missing column {name!r} in the header", line, hint=_FORMAT_HINT)
    if len(set(names)) != len(names):
        raise ParseError(path, "a column is named twice in the header", line, hint=_FORMAT_HINT)
    return names


def read_annotations(path: Path | str) -> list[Annotation]:
    """Read and check a whole annotation file.

    Args:
        path (Path or str): A TSV file (CSV when the name ends in ``.csv``).

    Returns:
        list[Annotation]: Its rows, with ``source`` (the file name) and ``line`` set.

    Raises:
        ParseError: ``file:line: reason`` for an unknown kind or column, a missing column or
            cell, a malformed IRI or literal, a repeated or contradictory row.
        DataError: the file cannot be read.
    """
    path = Path(path)
    rows = _rows(path)
    first = next(rows, None)
    if first is None:
        raise ParseError(path, "empty annotation file: no header", 1, hint=_FORMAT_HINT)
    names = _header(path, *first)
    annotations = []
    for line, cells in rows:
        if len(cells) > len(names):
            raise ParseError(path, f"expected {len(names)} cells, found {len(cells)}", line, hint=_FORMAT_HINT)
        cells += [""] * (len(names) - len(cells))  # editors drop trailing tabs: missing last cells are empty
        if any(mark in cell for cell in cells for mark in "\t\r\n"):
            raise ParseError(path, "a cell holds a tab or a line break", line, hint=_FORMAT_HINT)
        values = dict(zip(names, (cell.strip() for cell in cells)))
        if values["kind"] not in KINDS:
            raise ParseError(path, f"unknown kind {values['kind']!r} (kinds: {', '.join(KINDS)})", line)
        try:
            values["score"] = _score(values.get("score", ""))
            annotations.append(_checked(Annotation(**values, source=path.name, line=line)))
        except ValueError as exc:
            raise ParseError(path, str(exc), line, hint=_FORMAT_HINT) from None
    check_conflicts(annotations, path)
    return annotations


def _cell(row: Annotation, name: str) -> str:
    """One cell of ``row`` as :func:`write_annotations` writes it."""
    if name == "score":
        return "" if row.score is None else f"{row.score:.4f}"
    return getattr(row, name) or (ANY_CONCEPT if name == "object" else "")


def write_annotations(annotations: Iterable[Annotation], path: Path | str) -> int:
    """Write rows as an annotation file (CSV when the name ends in ``.csv``, else TSV), atomically.

    Returns:
        int: The rows written.
    """
    from core.fsutil import atomic_write

    path = Path(path)
    annotations = list(annotations)
    proposals = any(row.score is not None or row.reason for row in annotations)
    columns = COLUMNS + (PROPOSAL_COLUMNS if proposals else ())
    rows = [[_cell(row, name) for name in columns] for row in annotations]
    try:
        with atomic_write(path) as handle:
            if path.suffix.lower() == ".csv":
                csv.writer(handle, lineterminator="\n").writerows([list(columns)] + rows)
            else:
                handle.writelines("\t".join(cells) + "\n" for cells in [list(columns)] + rows)
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc}") from exc
    return len(rows)
