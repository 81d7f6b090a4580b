"""Labelled text datasets: IMDB, MR, Ohsumed and the user's CSV/TSV/JSONL.

``load_dataset`` returns a :class:`TextDataset` with train / valid / test lists
of :class:`Example` and the ordered label names. The validation split is carved
from train with a fixed seed (stratified by label); the training split can be
subsampled (``train_fraction``) and every split capped for quick runs. Bad
data gets a clear error: missing columns, a single class, empty texts (which
rows), test labels never seen in training, unreadable files (file:line).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from core.errors import ConfigError, DataError
from model.text import readers
from model.text.readers import RawRecord, RawSplits
from model.text.splits import cap, stratified_split

log = logging.getLogger(__name__)

BUILTIN = ("imdb", "mr", "ohsumed")
_MAX_LISTED = 5


class Example(NamedTuple):
    """A text and its label id (an index into ``TextDataset.labels``)."""

    text: str
    label: int


@dataclass
class TextDataset:
    """A labelled text dataset split three ways.

    Args:
        name (str): Dataset name (``imdb``, ``mr``, ``ohsumed`` or the file stem).
        labels (list[str]): Label names; ``Example.label`` indexes this list.
        train (list[Example]): Training examples.
        valid (list[Example]): Validation examples.
        test (list[Example]): Test examples.
        source (str): Where the data was read from. (default: ``""``)
        options (dict): The loading options, for the run's config. (default: ``{}``)
    """

    name: str
    labels: list[str]
    train: list[Example]
    valid: list[Example]
    test: list[Example]
    source: str = ""
    options: dict = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        """Number of labels."""
        return len(self.labels)

    def split(self, name: str) -> list[Example]:
        """The examples of ``train``, ``valid`` or ``test``.

        Raises:
            ConfigError: an unknown split name.
        """
        if name not in ("train", "valid", "test"):
            raise ConfigError(f"unknown split {name!r}; choose train, valid or test")
        return getattr(self, name)

    def summary(self) -> dict:
        """Sizes and per-label counts of each split (JSON-ready)."""
        out = {"name": self.name, "source": self.source, "labels": self.labels}
        for split in ("train", "valid", "test"):
            counts = Counter(ex.label for ex in self.split(split))
            out[split] = {"size": len(self.split(split)),
                          "per_label": {self.labels[i]: counts.get(i, 0) for i in range(len(self.labels))}}
        return out


def _list_where(records: list[RawRecord]) -> str:
    shown = ", ".join(r.where for r in records[:_MAX_LISTED])
    more = len(records) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _check(raw: RawSplits, name: str) -> list[str]:
    """Validate raw records; return the ordered label names."""
    if not raw.train:
        raise DataError(f"dataset {name} has no training examples")
    for split, records in (("train", raw.train), ("valid", raw.valid), ("test", raw.test)):
        empty = [r for r in records if not r.text.strip()]
        if empty:
            raise DataError(f"dataset {name}: {len(empty)} empty text(s) in {split}: {_list_where(empty)}",
                            hint="remove or fill these rows")
        unlabeled = [r for r in records if not r.label]
        if unlabeled:
            raise DataError(f"dataset {name}: {len(unlabeled)} row(s) without a label in {split}: "
                            f"{_list_where(unlabeled)}")
    train_labels = {r.label for r in raw.train}
    if len(train_labels) < 2:
        raise DataError(
            f"dataset {name} has only one class in training ({next(iter(train_labels))!r})",
            hint="a classifier needs at least two labels",
        )
    for split, records in (("valid", raw.valid), ("test", raw.test)):
        unseen = [r for r in records if r.label not in train_labels]
        if unseen:
            labels = sorted({r.label for r in unseen})
            raise DataError(
                f"dataset {name}: {split} label(s) {', '.join(map(repr, labels))} never occur in training "
                f"(e.g. {_list_where(unseen)})",
                hint="fix the labels or the split",
            )
    if raw.labels is not None:
        return [lab for lab in raw.labels if lab in train_labels]
    if all(lab.lstrip("-").isdigit() for lab in train_labels):
        return sorted(train_labels, key=int)
    return sorted(train_labels)


def _read_builtin(name: str) -> RawSplits:
    from core.data import fetch

    if name == "imdb":
        fetched = fetch("imdb", extract=False)
        return readers.read_imdb(fetched.files["imdb/aclImdb.tar.gz"])
    if name == "mr":
        fetched = fetch("mr")
        return readers.read_mr(fetched.files["mr/mr.txt"], fetched.files["mr/mr_split.txt"])
    fetched = fetch("ohsumed", extract=False)
    return readers.read_ohsumed(fetched.files["ohsumed/ohsumed_single_23.tar.gz"])


def _read_path(path: Path, text_column: str, label_column: str) -> RawSplits:
    if path.is_dir():
        if (path / "aclImdb").is_dir() or path.name == "aclImdb":
            return readers.read_imdb(path)
        if (path / "ohsumed_single_23").is_dir() or path.name == "ohsumed_single_23":
            return readers.read_ohsumed(path)
        files = readers.find_split_files(path)
        if "train" not in files:
            raise DataError(
                f"{path} has no train.csv / train.tsv / train.jsonl (nor aclImdb or ohsumed_single_23)",
                hint="put train and test files in the directory, or pass one file",
            )
        parts = {split: readers.read_table(f, text_column, label_column)[0]["train"] for split, f in files.items()}
        if "test" not in parts:
            raise DataError(f"{path} has a train file but no test file")
        return RawSplits(parts["train"], parts["test"], parts.get("valid", []), source=str(path))
    name = path.name.lower()
    if name.endswith((".tar.gz", ".tgz", ".tar")):
        if "imdb" in name:
            return readers.read_imdb(path)
        if "ohsumed" in name:
            return readers.read_ohsumed(path)
        raise DataError(f"{path}: archives are read only for IMDB (aclImdb*) and Ohsumed (ohsumed_single_23*)")
    if path.suffix.lower() not in readers.TABULAR_SUFFIXES:
        raise DataError(
            f"{path}: unsupported file type {path.suffix or '(none)'}",
            hint="use .csv, .tsv or .jsonl with text and label columns",
        )
    parts, has_split = readers.read_table(path, text_column, label_column)
    if has_split and not parts["test"]:
        raise DataError(f"{path}: the split column has no test rows")
    # without a split column, test is carved out by load_dataset after the checks
    return RawSplits(parts["train"], parts["test"], parts["valid"], source=str(path))


def load_dataset(
    name_or_path: str | os.PathLike,
    *,
    valid_fraction: float = 0.1,
    seed: int = 0,
    split_seed: int | None = None,
    train_fraction: float = 1.0,
    max_train: int | None = None,
    max_valid: int | None = None,
    max_test: int | None = None,
    text_column: str = "text",
    label_column: str = "label",
    test_fraction: float = 0.2,
) -> TextDataset:
    """Load a labelled text dataset.

    Args:
        name_or_path (str or PathLike): ``imdb``, ``mr`` or ``ohsumed`` (fetched
            through the data registry), or a path: an ``aclImdb`` or
            ``ohsumed_single_23`` directory or archive, a CSV / TSV / JSONL file
            (optionally with a ``split`` column), or a directory holding
            ``train`` and ``test`` (and optionally ``valid``) files.
        valid_fraction (float): Share of train carved out as validation
            (stratified, seeded) when the source has no validation split; 0
            for none. (default: ``0.1``)
        seed (int): Seed of every random choice. (default: ``0``)
        split_seed (int, optional): Seed of the held-out splits instead (the test and validation
            splits carved out of train, and the caps of both), so runs whose ``seed`` differs
            train on different subsamples and are tested on the same examples. (default:
            ``None``, ``seed``)
        train_fraction (float): Keep this share of the (remaining) training
            examples, stratified. (default: ``1.0``)
        max_train (int, optional): Cap on training examples. (default: ``None``)
        max_valid (int, optional): Cap on validation examples. (default: ``None``)
        max_test (int, optional): Cap on test examples. (default: ``None``)
        text_column (str): Text column of tabular files. (default: ``"text"``)
        label_column (str): Label column of tabular files. (default: ``"label"``)
        test_fraction (float): Share held out as test for a single tabular
            file without a split column. (default: ``0.2``)

    Returns:
        TextDataset: The dataset.

    Raises:
        ConfigError: fractions out of range.
        DataError: unknown dataset, missing columns, one class, empty texts,
            test labels unseen in training.
        ParseError: a malformed file (file:line).
    """
    for opt, value in (("valid_fraction", valid_fraction), ("train_fraction", train_fraction)):
        if not 0 <= value <= 1:
            raise ConfigError(f"{opt} must be between 0 and 1, got {value}")
    if train_fraction == 0:
        raise ConfigError("train_fraction must be greater than 0")
    for opt, value in (("max_train", max_train), ("max_valid", max_valid), ("max_test", max_test)):
        if value is not None and value < 1:
            raise ConfigError(f"{opt} must be at least 1, got {value}")
    key = str(name_or_path)
    path = Path(key).expanduser()
    if key.lower() in BUILTIN and not path.exists():
        name = key.lower()
        raw = _read_builtin(name)
    elif path.exists():
        name = path.name.split(".")[0] or path.name
        raw = _read_path(path, text_column, label_column)
    else:
        raise DataError(
            f"no dataset {key!r}: not a built-in name ({', '.join(BUILTIN)}) and no such file or directory",
            hint="give a built-in name or the path of a CSV/TSV/JSONL file or dataset directory",
        )
    labels = _check(raw, name)
    index = {lab: i for i, lab in enumerate(labels)}
    train, valid, test = raw.train, raw.valid, raw.test
    held = seed if split_seed is None else split_seed
    if not test:
        if not 0 < test_fraction < 1:
            raise ConfigError(f"test_fraction must be between 0 and 1, got {test_fraction}")
        train, test = stratified_split(train, [r.label for r in train], test_fraction, held + 1)
        log.info("%s has no test split: %d rows held out as test (seed %d)", name, len(test), held + 1)
    if not valid and valid_fraction > 0:
        train, valid = stratified_split(train, [r.label for r in train], valid_fraction, held)
    if train_fraction < 1:
        _, train = stratified_split(train, [r.label for r in train], train_fraction, seed + 2)
    train = cap(train, [r.label for r in train], max_train, seed + 3)
    valid = cap(valid, [r.label for r in valid], max_valid, held + 4)
    test = cap(test, [r.label for r in test], max_test, held + 5)
    if len({r.label for r in train}) < 2:
        subsampled = train_fraction < 1 or max_train is not None
        left = (f"{len(train)} row(s) left after the test split ({len(test)}), the validation split ({len(valid)})"
                + (" and the subsampling" if subsampled else ""))
        raise DataError(f"dataset {name}: training has {'a single class' if train else 'no rows'} ({left})",
                        hint="raise train_fraction or max_train" if subsampled
                        else "every class needs rows in training, validation and test: add rows")

    def convert(records: list[RawRecord]) -> list[Example]:
        return [Example(r.text, index[r.label]) for r in records]

    options = {"name_or_path": key, "valid_fraction": valid_fraction, "seed": seed, "split_seed": split_seed,
               "train_fraction": train_fraction, "max_train": max_train, "max_valid": max_valid,
               "max_test": max_test, "text_column": text_column, "label_column": label_column,
               "test_fraction": test_fraction}
    dataset = TextDataset(name, labels, convert(train), convert(valid), convert(test), raw.source, options)
    log.info("loaded %s: %d train / %d valid / %d test, %d labels",
             name, len(dataset.train), len(dataset.valid), len(dataset.test), len(labels))
    return dataset
