"""Classification metrics: accuracy, macro-F1, per-class P/R/F1, confusion matrix."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], num_classes: int) -> np.ndarray:
    """``[num_classes, num_classes]`` counts, rows = true class, columns = predicted."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return cm


def classification_metrics(y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str]) -> dict:
    """All metrics of one prediction set.

    Precision, recall and F1 of a class with no predictions (or no examples)
    are 0, as in scikit-learn's ``zero_division=0``. Macro-F1 averages the
    per-class F1 over all classes.

    Args:
        y_true (Sequence[int]): True label ids.
        y_pred (Sequence[int]): Predicted label ids.
        labels (Sequence[str]): Class names by id.

    Returns:
        dict: ``accuracy``, ``macro_f1``, ``macro_precision``, ``macro_recall``,
        ``per_class`` (name → precision/recall/f1/support), ``confusion_matrix``
        (nested lists) and ``labels``, ``n``.
    """
    return metrics_from_confusion(confusion_matrix(y_true, y_pred, len(labels)), labels)


def metrics_from_confusion(cm: np.ndarray, labels: Sequence[str]) -> dict:
    """:func:`classification_metrics` of a confusion matrix (rows true, columns predicted),
    e.g. one pooled over seeds."""
    k = len(labels)
    cm = np.asarray(cm)
    tp = np.diag(cm).astype(np.float64)
    pred = cm.sum(axis=0).astype(np.float64)
    true = cm.sum(axis=1).astype(np.float64)
    precision = np.divide(tp, pred, out=np.zeros(k), where=pred > 0)
    recall = np.divide(tp, true, out=np.zeros(k), where=true > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(k), where=denom > 0)
    n = int(cm.sum())
    return {
        "accuracy": float(tp.sum() / n) if n else 0.0,
        "macro_f1": float(f1.mean()) if k else 0.0,
        "macro_precision": float(precision.mean()) if k else 0.0,
        "macro_recall": float(recall.mean()) if k else 0.0,
        "n": n,
        "labels": list(labels),
        "per_class": {
            name: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                   "support": int(true[i])}
            for i, name in enumerate(labels)
        },
        "confusion_matrix": cm.tolist(),
    }


def summarize_seeds(per_seed: Sequence[dict], keys: Sequence[str] = ("accuracy", "macro_f1")) -> dict:
    """Mean and (sample) standard deviation of metrics over seeds.

    Args:
        per_seed (Sequence[dict]): Metrics dicts, one per seed.
        keys (Sequence[str]): Metrics to summarize. (default: accuracy, macro_f1)

    Returns:
        dict: ``{key: {"mean": m, "std": s, "values": [...]}}`` (std 0 for one seed).
    """
    out = {}
    for key in keys:
        values = np.asarray([m[key] for m in per_seed], dtype=np.float64)
        out[key] = {
            "mean": float(values.mean()) if len(values) else 0.0,
            "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
            "values": values.tolist(),
        }
    return out


def paired_standard_error(y_true: Sequence[int], pred_a: Sequence[int], pred_b: Sequence[int],
                          num_classes: int, metric: str, resamples: int = 200, seed: int = 0) -> float:
    """Standard error of ``metric(a) - metric(b)`` on the same examples, by a seeded paired bootstrap.

    Args:
        y_true (Sequence[int]): True label ids.
        pred_a (Sequence[int]): Predictions of ``a``.
        pred_b (Sequence[int]): Predictions of ``b`` on the same examples.
        num_classes (int): Number of classes.
        metric (str): ``accuracy`` or ``macro_f1``.
        resamples (int): Bootstrap resamples. (default: ``200``)
        seed (int): Seed of the resampling. (default: ``0``)

    Returns:
        float: The resampled differences' standard deviation (0 for fewer than 2 examples).
    """
    y = np.asarray(y_true, dtype=np.int64)
    if len(y) < 2:
        return 0.0
    picks = np.random.default_rng(seed).integers(0, len(y), size=(resamples, len(y)))
    diffs = _resampled(y, np.asarray(pred_a, dtype=np.int64), picks, num_classes, metric) \
        - _resampled(y, np.asarray(pred_b, dtype=np.int64), picks, num_classes, metric)
    return float(diffs.std(ddof=1))


def _resampled(y: np.ndarray, pred: np.ndarray, picks: np.ndarray, k: int, metric: str) -> np.ndarray:
    """``metric`` of each resample (a row of ``picks``: example indices), vectorized."""
    if metric == "accuracy":
        return (y == pred)[picks].mean(axis=1)
    if metric != "macro_f1":
        raise ValueError(f"no paired bootstrap for the metric {metric!r}")
    cells = np.arange(len(picks))[:, None] * k * k + y[picks] * k + pred[picks]
    cm = np.bincount(cells.ravel(), minlength=len(picks) * k * k).reshape(len(picks), k, k).astype(np.float64)
    tp = np.diagonal(cm, axis1=1, axis2=2)
    denom = cm.sum(axis=1) + cm.sum(axis=2)  # predicted + true per class: F1 = 2 tp / (pred + true)
    return np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0).mean(axis=1)
