"""The ``predict`` workflow: a trained run and texts in, labels and probabilities out.

:func:`predict_texts` streams its input in batches (constant memory for any
input size) through the run's own text pipeline: the same tokenizer, linker
and knowledge channel as training and :func:`~pipelines.evaluate.evaluate_run`
(:meth:`~pipelines.run_files.TrainedRun.encode_texts`), so ``kgft evaluate``
and ``kgft predict`` agree on the same texts.

Input: CSV / TSV / JSONL (the text in ``text_column``), any other file as one
text per non-blank line, or ``-`` for standard input (lines). Output: CSV
(``label``, then ``p_<class>`` per class, then ``entities`` with
``--entities``: the entities linked in the part of the text the model reads) or
JSONL (``{"label", "probabilities", "entities"}``), chosen
by the output's extension (``-`` writes JSONL to standard output). The output
is written to a temporary file and renamed when complete, so an interrupted
run leaves no partial file behind.
"""

from __future__ import annotations

import csv
import json
import logging
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from core.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

BATCH = 256
_KINDS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}


@dataclass
class PredictResult:
    """What :func:`predict_texts` did.

    Args:
        run_dir (Path): The run used.
        seed (int): Its seed whose best model predicted.
        texts (int): Texts predicted.
        output (str): Where the predictions went (``-`` for standard output).
        label_counts (dict[str, int]): Predictions per label.
        seconds (float): Wall time.
    """

    run_dir: Path
    seed: int
    texts: int
    output: str
    label_counts: dict
    seconds: float

    @property
    def texts_per_s(self) -> float:
        """Throughput."""
        return self.texts / self.seconds if self.seconds > 0 else 0.0


def input_kind(path: str) -> str:
    """``csv``, ``tsv``, ``jsonl`` or ``text`` from an input's extension (``-``: text lines)."""
    return "text" if path == "-" else _KINDS.get(Path(path).suffix.lower(), "text")


@contextmanager
def _open_input(path: str):
    if path == "-":
        yield sys.stdin
        return
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        yield handle


def _batches(path: str, text_column: str) -> Iterator[list[str]]:
    from model.text.readers import stream_texts

    with _open_input(path) as handle:
        batch: list[str] = []
        for _, text in stream_texts(handle, path, input_kind(path), text_column):
            batch.append(text)
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


class _Writer:
    """CSV or JSONL rows of predictions."""

    def __init__(self, handle, fmt: str, labels: list[str], entities: bool) -> None:
        self.handle, self.fmt, self.labels, self.entities = handle, fmt, labels, entities
        if fmt == "csv":
            self.csv = csv.writer(handle)
            self.csv.writerow(["label"] + [f"p_{lab}" for lab in labels] + (["entities"] if entities else []))

    def write(self, probs: list[float], linked: list[str]) -> str:
        label = self.labels[max(range(len(probs)), key=probs.__getitem__)]
        if self.fmt == "csv":
            self.csv.writerow([label] + [f"{p:.6f}" for p in probs] + ([" ".join(linked)] if self.entities else []))
        else:
            row = {"label": label, "probabilities": {lab: round(p, 6) for lab, p in zip(self.labels, probs)}}
            if self.entities:
                row["entities"] = linked
            self.handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        return label


@contextmanager
def _open_output(output: str):
    from core.fsutil import atomic_write

    if output == "-":
        yield sys.stdout
        return
    with atomic_write(Path(output)) as handle:
        yield handle


def predict_texts(run_dir: Path | str, input_path: str, output: str, *, text_column: str = "text",
                  seed: int | None = None, entities: bool = False, device: str = "cpu",
                  progress_bar: bool = True) -> PredictResult:
    """Predict every text of ``input_path`` with a trained run, writing ``output``.

    Args:
        run_dir (Path or str): A ``kgft train`` run directory.
        input_path (str): CSV/TSV/JSONL or a text file (one text per line), or ``-``.
        output (str): ``.csv`` or ``.jsonl`` file, or ``-`` (JSONL on standard output).
        text_column (str): Text column of tabular input. (default: ``"text"``)
        seed (int, optional): Which seed's best model; default the run's first. (default: ``None``)
        entities (bool): Also write the entities linked in each text. (default: ``False``)
        device (str): ``cpu``, ``cuda`` or ``auto``. (default: ``"cpu"``)
        progress_bar (bool): Show a progress bar (texts). (default: ``True``)

    Raises:
        ConfigError: an output format other than CSV/JSONL.
        DataError, ParseError, ModelError: unreadable input or run.
    """
    import time

    from core.progress import progress
    from model.train import predict_proba, resolve_device
    from pipelines.explain.run import load_run

    fmt = "jsonl" if output == "-" else {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(
        Path(output).suffix.lower())
    if fmt is None:
        raise ConfigError(f"cannot write predictions to {output}: use a .csv or .jsonl file, or - for stdout")
    start = time.perf_counter()
    run = load_run(run_dir, seed)
    dev = resolve_device(device)
    model = run.classifier.to(dev)
    counts = {lab: 0 for lab in run.labels}
    total = 0
    bar = progress(total=None, desc="predict", unit="text") if progress_bar else None
    with _open_output(output) as handle:
        writer = _Writer(handle, fmt, run.labels, entities)
        for texts in _batches(input_path, text_column):
            linked = run.encoder.analyse_many(texts)
            probs = predict_proba(model, run.encode_linked(linked), dev).tolist()
            for p, text in zip(probs, linked):
                counts[writer.write(p, sorted(set(text.entities)) if entities else [])] += 1
            total += len(texts)
            if bar is not None:
                bar.update(len(texts))
    if bar is not None:
        bar.close()
    return PredictResult(Path(run_dir), run.seed, total, output, counts, time.perf_counter() - start)
