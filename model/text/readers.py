"""Raw readers for the built-in text datasets and the user's own files.

Each reader returns :class:`RawSplits`: lists of :class:`RawRecord` (text,
label name, and where the record came from, for error messages). Turning them
into a :class:`~model.text.datasets.TextDataset` (label ids, validation split,
subsampling, checks) is done in :mod:`model.text.datasets`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, NamedTuple

from core.errors import DataError, ParseError

TABULAR_SUFFIXES = {".csv": ",", ".tsv": "\t", ".jsonl": None, ".json": None, ".ndjson": None}
_SPLIT_NAMES = {"train": "train", "training": "train", "valid": "valid", "validation": "valid",
                "dev": "valid", "val": "valid", "test": "test", "testing": "test"}
_IMDB_RE = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
_OHSUMED_RE = re.compile(r"(?:^|/)ohsumed_single_23/(training|test)/(C\d\d)/([^/]+)$")


class RawRecord(NamedTuple):
    """One text before labels become ids."""

    text: str
    label: str
    where: str


@dataclass
class RawSplits:
    """Records per split; ``valid`` is empty when the source has none."""

    train: list[RawRecord]
    test: list[RawRecord]
    valid: list[RawRecord] = field(default_factory=list)
    labels: list[str] | None = None
    source: str = ""


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), falling back to Latin-1 (MR, the opinion lexicon)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _lines(text: str) -> list[str]:
    """Split on newlines only (``str.splitlines`` also splits on Latin-1 NEL and form feeds)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def _tar_files(path: Path, pattern: re.Pattern, what: str) -> Iterator[tuple[str, bytes, str]]:
    """Yield ``(member name, content, location)`` of the archive's files whose name matches ``pattern``.

    Args:
        path (Path): A (possibly compressed) tar archive.
        pattern (re.Pattern): Selects member names.
        what (str): The dataset's name for the error message (e.g. ``"IMDB"``).

    Raises:
        DataError: the archive cannot be read.
    """
    try:
        with tarfile.open(path) as tf:
            for member in tf:
                if member.isfile() and pattern.search(member.name):
                    handle = tf.extractfile(member)
                    yield member.name, handle.read() if handle else b"", f"{path}:{member.name}"
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"cannot read {what} archive {path}: {exc}") from None


def _by_key(groups: dict[str, list[tuple[tuple, RawRecord]]]) -> dict[str, list[RawRecord]]:
    """Per split, the records sorted by their key (file order must not depend on the archive or file system)."""
    return {k: [r for _, r in sorted(v, key=lambda kv: kv[0])] for k, v in groups.items()}


# --------------------------------------------------------------------- IMDB
def read_imdb(path: Path) -> RawSplits:
    """Read IMDB from an ``aclImdb`` directory or an ``aclImdb*.tar.gz`` archive.

    The unlabeled ``train/unsup`` part is ignored. Records are ordered by split,
    label and review id, so the repacked and the original archive agree.
    """
    records: dict[str, list[tuple[tuple[str, int], RawRecord]]] = {"train": [], "test": []}

    def add(name: str, data: bytes, where: str) -> None:
        m = _IMDB_RE.search(name)
        if m:
            split, label, rid = m.group(1), m.group(2), int(m.group(3))
            text = decode_text(data)
            records[split].append(((label, rid), RawRecord(text, label, where)))

    if path.is_dir():
        root = path if path.name == "aclImdb" else path / "aclImdb"
        if not (root / "train").is_dir():
            raise DataError(f"{path} is not an aclImdb directory (no train/ folder)")
        for split in ("train", "test"):
            for label in ("neg", "pos"):
                for file in (root / split / label).glob("*.txt"):
                    add(f"aclImdb/{split}/{label}/{file.name}", file.read_bytes(), str(file))
    else:
        for member in _tar_files(path, _IMDB_RE, "IMDB"):
            add(*member)
    if not records["train"] or not records["test"]:
        raise DataError(f"{path} has no IMDB reviews under aclImdb/train and aclImdb/test")
    out = _by_key(records)
    return RawSplits(out["train"], out["test"], labels=["neg", "pos"], source=str(path))


# ----------------------------------------------------------------------- MR
def read_mr(text_path: Path, split_path: Path) -> RawSplits:
    """Read MR sentences (``mr.txt``) with the TextGCN split file (``<i>\\t<train|test>\\t<0|1>``)."""
    sentences = _lines(decode_text(text_path.read_bytes()))
    split_lines = _lines(decode_text(split_path.read_bytes()))
    if len(sentences) != len(split_lines):
        raise DataError(
            f"{text_path} has {len(sentences)} lines but {split_path} has {len(split_lines)}",
            hint="the split file must have one line per sentence",
        )
    splits: dict[str, list[RawRecord]] = {"train": [], "test": []}
    for lineno, (sentence, meta) in enumerate(zip(sentences, split_lines), start=1):
        parts = meta.strip().split("\t")
        if len(parts) != 3 or parts[1] not in splits or parts[2] not in ("0", "1"):
            raise ParseError(split_path, f"expected '<index>\\t<train|test>\\t<0|1>', got {meta!r}", lineno)
        label = "pos" if parts[2] == "1" else "neg"
        splits[parts[1]].append(RawRecord(sentence.strip(), label, f"{text_path}:{lineno}"))
    return RawSplits(splits["train"], splits["test"], labels=["neg", "pos"], source=str(text_path))


# ------------------------------------------------------------------ Ohsumed
def read_ohsumed(path: Path) -> RawSplits:
    """Read Ohsumed from an ``ohsumed_single_23`` directory or its tarball."""
    splits: dict[str, list[tuple[tuple[str, str], RawRecord]]] = {"training": [], "test": []}

    def add(name: str, data: bytes, where: str) -> None:
        m = _OHSUMED_RE.search(name)
        if m:
            text = " ".join(decode_text(data).split())
            splits[m.group(1)].append(((m.group(2), m.group(3)), RawRecord(text, m.group(2), where)))

    if path.is_dir():
        root = path if path.name == "ohsumed_single_23" else path / "ohsumed_single_23"
        if not (root / "training").is_dir():
            raise DataError(f"{path} is not an ohsumed_single_23 directory (no training/ folder)")
        for file in root.glob("*/C[0-9][0-9]/*"):
            if file.is_file():
                add(f"ohsumed_single_23/{file.relative_to(root).as_posix()}", file.read_bytes(), str(file))
    else:
        for member in _tar_files(path, _OHSUMED_RE, "Ohsumed"):
            add(*member)
    if not splits["training"] or not splits["test"]:
        raise DataError(f"{path} has no documents under ohsumed_single_23/training and /test")
    out = _by_key(splits)
    labels = sorted({r.label for r in out["training"]} | {r.label for r in out["test"]})
    return RawSplits(out["training"], out["test"], labels=labels, source=str(path))


# ----------------------------------------------------------------- tabular
def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    """Rows of a CSV/TSV/JSONL file as (line number, dict), plus the column names."""
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(path, "not valid UTF-8", line, hint="save the file as UTF-8") from None
    rows: list[tuple[int, dict]] = []
    if TABULAR_SUFFIXES[suffix] is None:
        columns: dict[str, None] = {}
        for lineno, line in enumerate(_lines(text), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ParseError(path, f"invalid JSON: {exc.msg}", lineno, exc.colno) from None
            if not isinstance(obj, dict):
                raise ParseError(path, "each line must be a JSON object", lineno)
            columns.update(dict.fromkeys(obj))
            rows.append((lineno, obj))
        return list(columns), rows
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=TABULAR_SUFFIXES[suffix])
    try:
        columns = list(reader.fieldnames or [])
        for row in reader:
            if None in row:
                raise ParseError(path, f"row has {len(columns) + len(row[None])} fields, header has {len(columns)}",
                                 reader.line_num)
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise ParseError(path, f"CSV error: {exc}", reader.line_num) from None
    return columns, rows


def _missing_column(path, column: str, columns: list, option: str) -> DataError:
    """The error for a table without ``column``; a one-column header that holds another separator says so."""
    hint = f"choose the column with {option}"
    if len(columns) == 1:
        found = [name for sep, name in ((";", "semicolon"), ("\t", "tab"), (",", "comma"), ("|", "pipe"))
                 if sep in str(columns[0])]
        if found:
            hint = (f"the header looks {found[0]}-separated: kgft reads .csv files as comma-separated and .tsv "
                    f"files as tab-separated, so save the file that way or {hint}")
    return DataError(f"{path}: no column {column!r} (columns: {', '.join(map(str, columns)) or 'none'})", hint=hint)


def stream_texts(handle, path: str, kind: str, text_column: str = "text") -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of every record of an open text stream, read lazily.

    Args:
        handle (TextIO): The open stream (UTF-8; ``newline=""`` for CSV/TSV).
        path (str): Its name, for errors (``-`` for standard input).
        kind (str): ``csv``, ``tsv``, ``jsonl`` or ``text`` (one text per non-blank line).
        text_column (str): The text column of CSV/TSV/JSONL records. (default: ``"text"``)

    Raises:
        DataError: no such column.
        ParseError: a malformed record or invalid UTF-8 (file:line).
    """
    lineno = 0
    try:
        if kind in ("csv", "tsv"):
            reader = csv.DictReader(handle, delimiter="," if kind == "csv" else "\t")
            if text_column not in (reader.fieldnames or []):
                raise _missing_column(path, text_column, reader.fieldnames or [], "--text-column")
            for row in reader:
                lineno = reader.line_num
                yield lineno, str(row.get(text_column) or "")
            return
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if kind == "text":
                yield lineno, line.rstrip("\r\n")
                continue
            obj = json.loads(line)
            if not isinstance(obj, dict) or text_column not in obj:
                raise ParseError(path, f"expected a JSON object with a {text_column!r} field", lineno,
                                 hint="choose the field with --text-column")
            yield lineno, str(obj[text_column])
    except json.JSONDecodeError as exc:
        raise ParseError(path, f"invalid JSON: {exc.msg}", lineno, exc.colno) from None
    except csv.Error as exc:
        raise ParseError(path, f"CSV error: {exc}", lineno) from None
    except UnicodeDecodeError:
        raise ParseError(path, "not valid UTF-8", lineno + 1, hint="save the file as UTF-8") from None


def read_table(
    path: Path, text_column: str, label_column: str, split_column: str = "split"
) -> tuple[dict[str, list[RawRecord]], bool]:
    """Read one CSV/TSV/JSONL file into records grouped by split.

    Rows go to ``train`` unless the file has a ``split_column`` with values
    such as train / valid / dev / test.

    Returns:
        tuple[dict[str, list[RawRecord]], bool]: Records by split, and whether
        a split column was present.

    Raises:
        DataError: missing text or label column, unknown split value.
        ParseError: malformed file (file:line).
    """
    columns, rows = _read_rows(path)
    for col, option in ((text_column, "text_column"), (label_column, "label_column")):
        if col not in columns:
            raise _missing_column(path, col, columns, f"--{option.replace('_', '-')}")
    has_split = split_column in columns
    out: dict[str, list[RawRecord]] = {"train": [], "valid": [], "test": []}
    for lineno, row in rows:
        label = row.get(label_column)
        text = row.get(text_column)
        where = f"{path}:{lineno}"
        split = "train"
        if has_split:
            value = str(row.get(split_column) or "").strip().lower()
            if value not in _SPLIT_NAMES:
                raise ParseError(path, f"unknown {split_column} value {value!r} (use train, valid or test)", lineno)
            split = _SPLIT_NAMES[value]
        out[split].append(
            RawRecord("" if text is None else str(text), "" if label is None else str(label).strip(), where)
        )
    return out, has_split


def find_split_files(directory: Path) -> dict[str, Path]:
    """``train``/``valid``/``test`` files (any tabular suffix) in a directory."""
    found: dict[str, Path] = {}
    for file in sorted(directory.iterdir()):
        if file.suffix.lower() in TABULAR_SUFFIXES and file.stem.lower() in _SPLIT_NAMES:
            split = _SPLIT_NAMES[file.stem.lower()]
            if split in found:
                raise DataError(f"{directory} has two {split} files: {found[split].name} and {file.name}")
            found[split] = file
    return found
