"""``annotate apply --min-score S``: apply only the proposals scored at least ``S``.

:func:`scored_view` checks the whole file, then yields a copy of it under the
same file name (in a temporary folder) where every row without a score, or
scored below ``S``, is turned into a comment: the rows kept stay on their
lines, so their provenance (file name and line) is that of the original
file, and applying it again with another threshold replaces what it applied
before. Errors about the copy are reported against the original file.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from kg.annotations.fileformat import read_annotations
from core.errors import ConfigError, ParseError


def kept_lines(path: Path | str, min_score: float) -> set[int]:
    """Lines of the rows of ``path`` scored at least ``min_score`` (the file is checked first).

    Raises:
        ConfigError: ``min_score`` is not in [0, 1].
        ParseError: the file is malformed.
    """
    if not 0 <= min_score <= 1:
        raise ConfigError(f"--min-score must be between 0 and 1, got {min_score}")
    return {row.line for row in read_annotations(path) if row.score is not None and row.score >= min_score}


@contextmanager
def scored_view(path: Path | str, min_score: float | None) -> Iterator[Path]:
    """``path`` itself (no threshold), or a copy keeping only the rows scored at least ``min_score``.

    Args:
        path (Path or str): An annotation file.
        min_score (float, optional): The threshold; ``None`` keeps every row.

    Raises:
        ConfigError: ``min_score`` is not in [0, 1].
        ParseError: the file is malformed (reported against ``path``).
    """
    path = Path(path)
    if min_score is None:
        yield path
        return
    kept = kept_lines(path, min_score)
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    header = next(i for i, line in enumerate(lines, 1) if line.strip() and not line.startswith("#"))
    for number, line in enumerate(lines, 1):
        if number > header and line.strip() and not line.startswith("#") and number not in kept:
            lines[number - 1] = "#"  # below the threshold: a comment keeps the lines of the rest
    with tempfile.TemporaryDirectory(prefix="kgft-min-score-") as folder:
        copy = Path(folder) / path.name
        copy.write_text("\n".join(lines), encoding="utf-8")
        try:
            yield copy
        except ParseError as exc:
            if Path(exc.path) != copy:
                raise
            raise ParseError(path, exc.reason, exc.line, exc.column, exc.hint) from None
