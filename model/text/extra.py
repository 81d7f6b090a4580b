"""Extra labelled training examples (``kgft train --extra-train``).

Files of labelled texts (CSV, TSV or JSONL with the dataset's text and label
columns, e.g. the filled-in ``*.to-label.csv`` of ``kgft annotate suggest
--pool``) are appended to a loaded dataset's training split, after its
validation split was carved and its training split subsampled, so
``train_fraction`` and ``max_train`` apply to the original split only. Every
file is read and checked before any row is used: a row with an empty text, an
empty label or a label the dataset does not have is an error naming
``file:line``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from core.errors import DataError
from model.text import readers
from model.text.datasets import Example, TextDataset


def read_extra(path: Path | str, labels: list[str], text_column: str = "text",
               label_column: str = "label") -> list[Example]:
    """The labelled rows of one file as examples of a dataset with ``labels``.

    Args:
        path (Path or str): A CSV, TSV or JSONL file (a ``split`` column, if any, must say train).
        labels (list[str]): The dataset's label names (``Example.label`` indexes them).
        text_column (str): Text column. (default: ``"text"``)
        label_column (str): Label column. (default: ``"label"``)

    Returns:
        list[Example]: The rows, in file order.

    Raises:
        DataError: unsupported file type, missing column, a non-train split row, an
            empty text or label, a label not among ``labels`` (``file:line``).
        ParseError: a malformed file (file:line).
    """
    path = Path(path)
    if path.suffix.lower() not in readers.TABULAR_SUFFIXES:
        raise DataError(f"{path}: unsupported extra training file type {path.suffix or '(none)'}",
                        hint="use .csv, .tsv or .jsonl with the dataset's text and label columns")
    parts, _ = readers.read_table(path, text_column, label_column)
    other = parts["valid"] + parts["test"]
    if other:
        raise DataError(f"{other[0].where}: extra training rows must not be in a valid or test split",
                        hint="drop the split column or those rows")
    index = {label: i for i, label in enumerate(labels)}
    examples = []
    for record in parts["train"]:
        if not record.text.strip():
            raise DataError(f"{record.where}: empty text in an extra training file", hint="fill or delete the row")
        if not record.label:
            raise DataError(f"{record.where}: row without a label in an extra training file",
                            hint="label it or delete the row")
        if record.label not in index:
            raise DataError(f"{record.where}: unknown label {record.label!r} in an extra training file",
                            hint=f"the dataset's labels: {', '.join(labels[:20])}")
        examples.append(Example(record.text, index[record.label]))
    return examples


def add_extra_train(dataset: TextDataset, paths: tuple[str, ...] | list[str], text_column: str = "text",
                    label_column: str = "label") -> TextDataset:
    """``dataset`` with the rows of ``paths`` appended to its training split (all files checked first).

    Args:
        dataset (TextDataset): The loaded (and subsampled) dataset.
        paths (tuple[str, ...]): Extra training files, read in order.
        text_column (str): Text column. (default: ``"text"``)
        label_column (str): Label column. (default: ``"label"``)

    Returns:
        TextDataset: A new dataset (``dataset`` itself when ``paths`` is empty); its
        ``options`` record the files and the number of rows added.

    Raises:
        DataError, ParseError: see :func:`read_extra`.
    """
    if not paths:
        return dataset
    extra = [ex for path in paths for ex in read_extra(path, dataset.labels, text_column, label_column)]
    options = {**dataset.options, "extra_train": [str(p) for p in paths], "extra_train_rows": len(extra)}
    return dataclasses.replace(dataset, train=dataset.train + extra, options=options)
