"""PNG figures of the knowledge-lift report (matplotlib Agg).

* ``accuracy_vs_fraction.png``: test accuracy against the training fraction,
  one line per arm with seed-std error bars, one panel per dataset, the
  dataset's target as a dashed line;
* ``per_class_f1_change.png``: per-class F1 of the KG arm minus the baseline,
  one panel per dataset, one bar per class and training fraction.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.plots import pyplot, save_figure
from pipelines.report_checks import TARGETS, pct

ARM_STYLE = {"baseline": ("Baseline", "tab:gray", "o"), "knowledge": ("KG", "tab:blue", "s"),
             "shuffled": ("Shuffled KG", "tab:orange", "^")}


def _datasets(cells: list) -> list[str]:
    return list(dict.fromkeys(c.dataset for c in cells))


def plot_accuracy_vs_fraction(cells: list, path: Path) -> Path:
    """Accuracy (%) against training fraction per arm, one panel per dataset.

    Args:
        cells (list[pipelines.report.Cell]): Aggregated cells.
        path (Path): Output PNG.

    Returns:
        Path: ``path``.
    """
    plt = pyplot()
    names = _datasets(cells)
    fig, axes = plt.subplots(1, len(names), figsize=(4.8 * len(names), 3.8), squeeze=False)
    for ax, dataset in zip(axes[0], names):
        mine = [c for c in cells if c.dataset == dataset]
        fractions = sorted({c.fraction for c in mine})
        for arm, (label, color, marker) in ARM_STYLE.items():
            series = sorted((c for c in mine if c.arm == arm), key=lambda c: c.fraction)
            if not series:
                continue
            ax.errorbar([c.fraction for c in series], [pct(c.accuracy_mean) for c in series],
                        yerr=[pct(c.accuracy_std) for c in series], label=label, color=color, marker=marker,
                        capsize=3, linewidth=1.5)
        target = TARGETS.get(dataset)
        if target is not None and target.accuracy is not None:  # IMDB's target is a lift only
            ax.axhline(target.accuracy, color="tab:green", linestyle="--", linewidth=1,
                       label=f"target {target.accuracy:g}")
        if len(fractions) > 1:
            ax.set_xscale("log")
        ax.set_xticks(fractions)
        ax.set_xticklabels([f"{f:.0%}" for f in fractions])
        ax.minorticks_off()
        ax.set_title(dataset)
        ax.set_xlabel("training fraction")
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Knowledge lift: accuracy vs training data (mean ± std over seeds)")
    return save_figure(fig, path, dpi=110)


def plot_per_class_change(cells: list, path: Path) -> Path:
    """Per-class F1 change, KG − baseline (points), one panel per dataset.

    Args:
        cells (list[pipelines.report.Cell]): Aggregated cells.
        path (Path): Output PNG.

    Returns:
        Path: ``path``.
    """
    import numpy as np

    plt = pyplot()
    names = _datasets(cells)
    widths = [max(4.8, 0.45 * max(len(c.per_class_f1) for c in cells if c.dataset == d)) for d in names]
    fig, axes = plt.subplots(len(names), 1, figsize=(max(widths) + 1, 3.4 * len(names)), squeeze=False)
    for ax, dataset in zip(axes[:, 0], names):
        by_key = {(c.fraction, c.arm): c for c in cells if c.dataset == dataset}
        fractions = sorted({f for f, arm in by_key if (f, "baseline") in by_key and (f, "knowledge") in by_key})
        classes = list(dict.fromkeys(k for c in cells if c.dataset == dataset for k in c.per_class_f1))
        x = np.arange(len(classes))
        width = 0.8 / max(len(fractions), 1)
        colors = plt.cm.viridis(np.linspace(0.15, 0.85, max(len(fractions), 1)))
        for i, fraction in enumerate(fractions):
            kg, base = by_key[(fraction, "knowledge")], by_key[(fraction, "baseline")]
            delta = [100 * (kg.per_class_f1.get(k, 0.0) - base.per_class_f1.get(k, 0.0)) for k in classes]
            ax.bar(x + (i - (len(fractions) - 1) / 2) * width, delta, width, color=colors[i], label=f"{fraction:.0%}")
        if not fractions:
            ax.text(0.5, 0.5, "no fraction with both KG and baseline runs", ha="center", va="center",
                    transform=ax.transAxes)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks(x)
        ax.set_xticklabels(classes, rotation=60 if len(classes) > 6 else 0, fontsize=8,
                           ha="right" if len(classes) > 6 else "center")
        ax.set_ylabel("F1 change (points)")
        ax.set_title(f"{dataset}: per-class F1, KG − baseline")
        ax.grid(axis="y", alpha=0.3)
        if fractions:
            ax.legend(title="train", fontsize=8)
    return save_figure(fig, path, dpi=110)
