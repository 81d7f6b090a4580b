"""Markdown rendering of the knowledge-lift report (the table that goes into BENCHMARKS.md)."""

from __future__ import annotations

from pipelines.report_checks import pct


def _cell_text(cell, metric: str) -> str:
    if cell is None:
        return "–"
    mean, std = getattr(cell, f"{metric}_mean"), getattr(cell, f"{metric}_std")
    return f"{pct(mean):.2f} ± {pct(std):.2f}"


def _signed(x: float | None) -> str:
    return "–" if x is None else f"{x:+.2f}"


def _comparison_table(report, metric: str) -> list[str]:
    arms = ("baseline", "knowledge", "shuffled")
    head = ["Dataset", "Train fraction", "n train", "Seeds"] + [f"{a} {metric}" for a in ("Baseline", "KG", "Shuffled")]
    if metric == "accuracy":
        head += ["KG − base", "Shuffled − base", "KG − shuffled"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    by_key: dict[tuple, dict] = {}
    for cell in report.cells:
        by_key.setdefault((cell.dataset, cell.fraction), {})[cell.arm] = cell
    for (dataset, fraction), arms_cells in by_key.items():
        first = next(iter(arms_cells.values()))
        seeds = "/".join(str(arms_cells[a].seeds) if a in arms_cells else "0" for a in arms)
        row = [dataset, f"{fraction:.0%}", str(first.n_train if first.n_train is not None else "?"), seeds]
        row += [_cell_text(arms_cells.get(a), metric) for a in arms]
        if metric == "accuracy":
            lift = next(lf for lf in report.findings["datasets"][dataset]["lifts"] if lf["fraction"] == fraction)
            row += [_signed(lift["knowledge"]), _signed(lift["shuffled"]), _signed(lift["kg_minus_shuffled"])]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _target_lines(report) -> list[str]:
    lines = ["| Dataset | Target | KG (ours) | Gap to target | Our baseline | Lift | Published |",
             "|---|---|---|---|---|---|---|"]
    for dataset, info in report.findings["datasets"].items():
        t = info["target"]
        if t is None:
            continue
        published = ", ".join(f"{k} {v:.2f}" for k, v in t["published"].items()) or "–"
        ours = "–" if t["kg_accuracy"] is None else f"{t['kg_accuracy']:.2f} (at {t['fraction']:.0%})"
        lift = _signed(t["lift"])
        if t["min_lift"] is not None:
            lift += f" (goal ≥ +{t['min_lift']:.0f}: {'met' if t['lift_met'] else 'not met'})"
        base = "–" if t["baseline_accuracy"] is None else f"{t['baseline_accuracy']:.2f}"
        if t["target"] is None:
            goal = gap = "–"
        else:
            goal, gap = f"≥ {t['target']:.2f}", f"{_signed(t['gap'])} ({'met' if t['met'] else 'not met'})"
        lines.append(f"| {dataset} | {goal} | {ours} | {gap} | {base} | {lift} | {published} |")
    return lines if len(lines) > 2 else []


def _check_lines(report) -> list[str]:
    lines = []
    for dataset, info in report.findings["datasets"].items():
        svf = info["small_vs_full"]
        if svf is None:
            lines.append(f"- {dataset}: lift at small vs full data not measured (needs two fractions with KG "
                         f"and baseline runs).")
            continue
        verdict = "larger (goal met)" if svf["met"] else "not larger (goal not met)"
        lines.append(f"- {dataset}: lift at {svf['small']:.0%} of the training data is {_signed(svf['lift_small'])} "
                     f"points, at {svf['full']:.0%} {_signed(svf['lift_full'])}: {verdict}.")
    if report.findings["warnings"]:
        lines += [f"- **WARNING** {w}." for w in report.findings["warnings"]]
    else:
        lines.append("- Shuffled control: it does not beat the baseline anywhere (no lift without real knowledge).")
    return lines


def render_markdown(report) -> str:
    """The report as Markdown: accuracy and macro-F1 tables, targets, checks and notes.

    Args:
        report (pipelines.report.ReportResult): The report.

    Returns:
        str: Markdown text ending in a newline.
    """
    devices = sorted({d for c in report.cells for d in c.devices})
    versions = sorted({v for c in report.cells for v in c.kgft_versions})
    wall = sum(c.wall_time_s for c in report.cells)
    lines = [f"Test accuracy and macro-F1 in %, mean ± sample std over seeds; {len(report.runs)} run directories, "
             f"device {', '.join(devices) or '?'}, kgft {', '.join(versions) or '?'}, "
             f"summed training wall time {wall / 60:.1f} min. Seeds column: baseline/KG/shuffled.", ""]
    lines += _comparison_table(report, "accuracy") + [""]
    lines += _comparison_table(report, "macro_f1") + [""]
    targets = _target_lines(report)
    if targets:
        lines += ["Targets (KG-augmented model at the largest training fraction measured):", ""] + targets + [""]
    lines += ["Checks:", ""] + _check_lines(report)
    if report.notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in report.notes]
    return "\n".join(lines) + "\n"
