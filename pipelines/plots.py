"""PNG figures of a training run: learning curves and the confusion matrix (matplotlib Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from core.fsutil import atomic_path


def pyplot():
    """matplotlib's ``pyplot`` on the non-interactive Agg backend (imported lazily)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path, dpi: int = 100) -> Path:
    """Lay out ``fig``, write it atomically as PNG to ``path`` and close it.

    Args:
        fig (matplotlib.figure.Figure): The figure (closed afterwards, also on error).
        path (Path): Target PNG (parents are created).
        dpi (int): Resolution. (default: ``100``)

    Returns:
        Path: ``path``.
    """
    try:
        fig.tight_layout()
        with atomic_path(path, suffix=".tmp.png") as tmp:
            fig.savefig(tmp, dpi=dpi)
    finally:
        pyplot().close(fig)
    return path


def plot_curves(history: Sequence[dict], path: Path, title: str = "") -> Path:
    """Training loss and validation accuracy / macro-F1 per epoch.

    Args:
        history (Sequence[dict]): Epoch records with ``epoch``, ``loss``,
            ``valid_accuracy``, ``valid_macro_f1``.
        path (Path): Target PNG.
        title (str): Figure title. (default: ``""``)

    Returns:
        Path: The file written.
    """
    plt = pyplot()
    epochs = [h["epoch"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax1.plot(epochs, [h["loss"] for h in history], marker="o", label="train loss")
    if any(h.get("aux_loss") for h in history):
        ax1.plot(epochs, [h["aux_loss"] for h in history], marker="s", label="knowledge loss")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("loss")
    ax1.legend()
    ax2.plot(epochs, [h["valid_accuracy"] for h in history], marker="o", label="valid accuracy")
    ax2.plot(epochs, [h["valid_macro_f1"] for h in history], marker="s", label="valid macro-F1")
    ax2.set_xlabel("epoch")
    ax2.set_ylim(0, 1)
    ax2.legend()
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def plot_confusion(matrix: Sequence[Sequence[int]], labels: Sequence[str], path: Path, title: str = "") -> Path:
    """Confusion matrix heat map (rows: true class, columns: predicted).

    Args:
        matrix (Sequence[Sequence[int]]): Counts.
        labels (Sequence[str]): Class names.
        path (Path): Target PNG.
        title (str): Figure title. (default: ``""``)

    Returns:
        Path: The file written.
    """
    plt = pyplot()
    k = len(labels)
    size = max(4.0, 0.45 * k + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(k), labels, rotation=90 if k > 6 else 0)
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= 12:
        peak = max((max(row) for row in matrix), default=0)
        for i in range(k):
            for j in range(k):
                ax.text(j, i, str(matrix[i][j]), ha="center", va="center",
                        color="white" if matrix[i][j] > peak / 2 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    if title:
        ax.set_title(title)
    return save_figure(fig, path)
