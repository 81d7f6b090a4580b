"""Examples worth labelling next: the pool texts a trained run is least sure about.

:func:`select_pool` reads an unlabelled pool as ``kgft predict`` does (CSV,
TSV, JSONL with a text column, or one text per line), predicts every text with
the run's own text pipeline, and keeps the ``n`` most uncertain ones:

* ``margin``: ``1 - (p1 - p2)``, one minus the gap between the two most
  probable classes;
* ``entropy``: the prediction's entropy divided by ``log(classes)``;
* ``random``: a seeded uniform sample (the control of an active-learning run).

Each kept text gets its most attributed tokens and the concepts linked in it
(integrated gradients with few steps, :func:`pipelines.explain.text.explain_text`),
and is written as a CSV ready to be labelled: ``text``, an empty ``label``,
``score`` (the uncertainty, in [0, 1]), ``reason``, ``predicted``,
``top_tokens`` and ``concepts``. Filled in, its ``text`` and ``label``
columns are a labelled dataset file (``kgft train --dataset``).
"""

from __future__ import annotations

import csv
import heapq
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import ConfigError
from core.validation import require_choice

STRATEGIES = ("margin", "entropy", "random")
COLUMNS = ("text", "label", "score", "reason", "predicted", "top_tokens", "concepts")


@dataclass
class PoolResult:
    """What :func:`select_pool` wrote.

    Args:
        output (Path): The CSV.
        pool (int): Texts read.
        selected (int): Texts written.
        strategy (str): The strategy.
        seconds (float): Wall time.
    """

    output: Path
    pool: int
    selected: int
    strategy: str
    seconds: float

    def summary(self) -> str:
        """One line for the command line."""
        return (f"{self.output}: {self.selected} of {self.pool} pool texts to label next "
                f"({self.strategy}) in {self.seconds:.1f}s")


def uncertainty(probs: np.ndarray, strategy: str) -> np.ndarray:
    """Uncertainty in [0, 1] of each row of class probabilities (``margin`` or ``entropy``)."""
    probs = np.asarray(probs, dtype=np.float64)
    if strategy == "margin":
        top = np.sort(probs, axis=1)[:, ::-1]
        return np.clip(1.0 - (top[:, 0] - top[:, 1]), 0.0, 1.0)
    logs = np.log(np.clip(probs, 1e-12, 1.0))
    return np.clip(-(probs * logs).sum(axis=1) / math.log(probs.shape[1]), 0.0, 1.0)


def _reason(probs: list[float], labels: list[str], strategy: str) -> str:
    order = sorted(range(len(probs)), key=lambda i: (-probs[i], i))
    first, second = order[0], order[1]
    spread = f"{labels[first]} {probs[first]:.2f} vs {labels[second]} {probs[second]:.2f}"
    return f"random sample ({spread})" if strategy == "random" else f"{strategy}: {spread}"


def _ranked(run, pool_path: str, text_column: str, n: int, strategy: str, seed: int, device) -> tuple[list, int]:
    """The ``n`` most uncertain texts as ``(score, -position, text, probs)``, best first, and the pool size."""
    from model.train import predict_proba
    from pipelines.predict import _batches

    rng = random.Random(seed)
    model = run.classifier.to(device)
    kept: list = []
    total = 0
    for texts in _batches(pool_path, text_column):
        probs = predict_proba(model, run.encode_linked(run.encoder.analyse_many(texts)), device).numpy()
        scores = ([rng.random() for _ in texts] if strategy == "random"
                  else uncertainty(probs, strategy).tolist())
        for k, (score, text) in enumerate(zip(scores, texts)):
            item = (round(float(score), 9), -(total + k), text, probs[k].tolist())
            if len(kept) < n:
                heapq.heappush(kept, item)
            elif item > kept[0]:
                heapq.heapreplace(kept, item)
        total += len(texts)
    return sorted(kept, reverse=True), total


def select_pool(run_dir: Path | str, pool_path: str, output: Path | str, *, n: int = 50, strategy: str = "margin",
                text_column: str = "text", seed: int = 0, top_tokens: int = 5, n_steps: int = 16,
                device: str = "cpu") -> PoolResult:
    """Write the ``n`` pool texts ``run_dir``'s model is least sure about, as a CSV to label.

    Args:
        run_dir (Path or str): A ``kgft train`` run directory.
        pool_path (str): The unlabelled pool (CSV/TSV/JSONL or one text per line).
        output (Path or str): The CSV to write.
        n (int): Texts to select. (default: ``50``)
        strategy (str): ``margin``, ``entropy`` or ``random``. (default: ``"margin"``)
        text_column (str): Text column of tabular input. (default: ``"text"``)
        seed (int): Seed of ``random``. (default: ``0``)
        top_tokens (int): Attributed tokens listed per text. (default: ``5``)
        n_steps (int): Integrated-gradients steps of the attribution. (default: ``16``)
        device (str): ``cpu``, ``cuda`` or ``auto``. (default: ``"cpu"``)

    Raises:
        ConfigError: an unknown strategy or ``n < 1``.
        DataError, ParseError, ModelError: unreadable pool or run.
    """
    from core.fsutil import atomic_write
    from model.train import resolve_device
    from pipelines.explain.run import load_run
    from pipelines.explain.text import explain_text

    require_choice(strategy, STRATEGIES, "strategy")
    if n < 1:
        raise ConfigError(f"--select must be at least 1, got {n}")
    start = time.perf_counter()
    run = load_run(run_dir)
    ranked, total = _ranked(run, pool_path, text_column, n, strategy, seed, resolve_device(device))
    rows = []
    for score, _, text, probs in ranked:
        exp = explain_text(run, text, top_k=top_tokens, n_steps=n_steps)
        tokens = " ".join(exp.tokens[i]["text"] for i in exp.top_tokens)
        concepts = " ".join(e.iri for e in exp.entities)
        rows.append([text, "", f"{score:.4f}", _reason(probs, run.labels, strategy),
                     run.labels[int(np.argmax(probs))], tokens, concepts])
    with atomic_write(Path(output)) as handle:
        csv.writer(handle, lineterminator="\n").writerows([list(COLUMNS)] + rows)
    return PoolResult(Path(output), total, len(rows), strategy, time.perf_counter() - start)
