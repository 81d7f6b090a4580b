"""The ``report`` workflow: training run directories in, the knowledge-lift comparison out.

:func:`report` is a thin orchestrator::

    find_runs → load_run (each) → separate_training_caps → aggregate (dataset × fraction × arm)
      → study checks (targets, lift, shuffled control) → ReportResult.save

A *run* is a ``kgft train`` directory: ``config.json`` (``kind`` =
``baseline`` / ``knowledge`` / ``shuffled``, ``train`` settings, ``dataset``
summary, device, wall time, kgft version) and ``metrics.json`` (``accuracy``,
``macro_f1``, ``per_seed``, ``per_class``...). Several directories of the
same dataset, training fraction and arm are pooled: their seeds count
together. :meth:`ReportResult.save` writes ``report.md`` (the Markdown for
BENCHMARKS.md), ``summary.json`` (every cell and check),
``accuracy_vs_fraction.png`` and ``per_class_f1_change.png``.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from core.errors import DataError
from core.fsutil import read_json, write_text_atomic
from pipelines.run_dir import RunDir

logger = logging.getLogger(__name__)

ARMS = ("baseline", "knowledge", "shuffled")
ARM_TITLES = {"baseline": "Baseline", "knowledge": "KG", "shuffled": "Shuffled KG"}
#: Settings that may differ between the runs of one comparison: the knowledge switches, the machine, and
#: the seed (one run per seed, each drawing its own training subsample).
ARM_SWITCHES = frozenset({"knowledge.baseline", "knowledge.source", "knowledge.control", "device", "threads",
                          "seed"})
REPORT_FILES = ("report.md", "summary.json", "accuracy_vs_fraction.png", "per_class_f1_change.png")


@dataclass
class RunRecord:
    """One finished training run, reduced to what the report needs.

    Args:
        run_dir (Path): The directory.
        dataset (str): Dataset name (``mr``, ``ohsumed``, ``imdb`` or a file's stem).
        fraction (float): ``train_fraction`` of the run.
        arm (str): ``baseline``, ``knowledge`` or ``shuffled``.
        accuracy (list[float]): Test accuracy per seed (0..1).
        macro_f1 (list[float]): Test macro-F1 per seed (0..1).
        per_class_f1 (dict[str, float]): Per-class F1 on the test split (pooled over seeds).
        train (dict): The run's training settings by dotted name (``optim.epochs``;
            :func:`pipelines.train_config.saved_settings`).
        n_train (int, optional): Training examples actually used.
        device (str, optional): Device it ran on.
        wall_time_s (float, optional): Wall time of the whole run.
        kgft_version (str, optional): kgft version that trained it.
        name (str): The dataset's own name (``dataset`` may add a training cap,
            :func:`separate_training_caps`). (default: ``dataset``)
    """

    run_dir: Path
    dataset: str
    fraction: float
    arm: str
    accuracy: list[float]
    macro_f1: list[float]
    per_class_f1: dict[str, float]
    train: dict
    n_train: int | None = None
    device: str | None = None
    wall_time_s: float | None = None
    kgft_version: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or self.dataset


@dataclass
class Cell:
    """Mean and sample standard deviation of one dataset × fraction × arm.

    Args:
        dataset (str), fraction (float), arm (str): The cell's key.
        seeds (int): Number of seed results pooled.
        accuracy_mean, accuracy_std, macro_f1_mean, macro_f1_std (float): Over seeds (0..1; std 0 for one seed).
        per_class_f1 (dict[str, float]): Per-class F1 averaged over the cell's runs.
        n_train (int, optional): Training examples (of the first run).
        runs (list[str]): The run directories pooled.
        wall_time_s (float): Summed wall time of the runs.
        devices (list[str]), kgft_versions (list[str]): Distinct values over the runs.
        name (str): The dataset's own name (``dataset`` may add a training cap). (default: ``dataset``)
    """

    dataset: str
    fraction: float
    arm: str
    seeds: int
    accuracy_mean: float
    accuracy_std: float
    macro_f1_mean: float
    macro_f1_std: float
    per_class_f1: dict[str, float]
    n_train: int | None
    runs: list[str]
    wall_time_s: float = 0.0
    devices: list[str] = field(default_factory=list)
    kgft_versions: list[str] = field(default_factory=list)
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or self.dataset


def _read_json(path: Path) -> dict:
    data = read_json(path)
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def find_runs(paths: list[Path | str]) -> tuple[list[Path], list[str]]:
    """Expand the given paths into training run directories.

    A directory holding ``metrics.json`` is a run. Any other directory is
    searched for training runs below it (a study's output directory); finished
    ones are used, unfinished ones are listed as notes.

    Args:
        paths (list[Path or str]): Run directories or directories of runs.

    Returns:
        tuple[list[Path], list[str]]: Run directories (deduplicated, in order) and notes.

    Raises:
        DataError: no paths, a missing path, or a directory with neither
            ``metrics.json`` nor finished runs below it.
    """
    if not paths:
        raise DataError("no run directories given", hint="pass one or more `kgft train --out` directories")
    runs: list[Path] = []
    notes: list[str] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            raise DataError(f"{path}: no such run directory")
        if RunDir(path).is_finished():
            runs.append(path)
            continue
        below = RunDir(path).runs_below()
        finished = [p for p in below if RunDir(p).is_finished()]
        notes += [f"{p}: unfinished run (no metrics.json), left out" for p in below if p not in finished]
        if not finished:
            raise DataError(f"{path}: no metrics.json (not a finished training run, and no finished runs below it)",
                            hint="pass `kgft train --out` directories whose training finished")
        runs += finished
    unique = list(dict.fromkeys(p.resolve() for p in runs))
    return unique, notes


def load_run(run_dir: Path | str) -> RunRecord:
    """Read one training run directory.

    Raises:
        DataError: missing or malformed ``config.json`` / ``metrics.json``.
    """
    run_dir = Path(run_dir)
    files = RunDir(run_dir)
    for path in (files.metrics, files.config):
        if not path.is_file():
            raise DataError(f"{run_dir}: no {path.name} (not a finished training run)",
                            hint="pass `kgft train --out` directories whose training finished")
    config = _read_json(files.config)
    metrics = _read_json(files.metrics)
    arm = config.get("kind")
    train = config.get("train")
    if arm not in ARMS or not isinstance(train, dict):
        raise DataError(f"{files.config}: not a kgft training config (needs 'kind' and 'train')")
    try:
        per_seed = metrics.get("per_seed") or [{"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"]}]
        accuracy = [float(s["accuracy"]) for s in per_seed]
        macro_f1 = [float(s["macro_f1"]) for s in per_seed]
        per_class = {str(k): float(v["f1"]) for k, v in (metrics.get("per_class") or {}).items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{files.metrics}: missing or malformed metric {exc}",
                        hint="expected accuracy, macro_f1, per_seed and per_class as `kgft train` writes them") from exc
    dataset_info = config.get("dataset") or {}
    from pipelines.train_config import saved_settings

    train = saved_settings(train)
    name = dataset_info.get("name") or Path(str(train.get("data.dataset", "?"))).name.split(".")[0]
    return RunRecord(
        run_dir=run_dir, dataset=str(name).lower(), fraction=float(train.get("data.train_fraction", 1.0)), arm=arm,
        accuracy=accuracy, macro_f1=macro_f1, per_class_f1=per_class, train=train,
        n_train=(dataset_info.get("train") or {}).get("size"), device=config.get("device"),
        wall_time_s=config.get("wall_time_s"), kgft_version=config.get("kgft_version"),
    )


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (``ddof=1``; 0 for fewer than two values)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))


def aggregate(records: list[RunRecord]) -> list[Cell]:
    """Pool the runs of each dataset × fraction × arm into a :class:`Cell` (sorted)."""
    groups: dict[tuple, list[RunRecord]] = {}
    for rec in records:
        groups.setdefault((rec.dataset, rec.fraction, rec.arm), []).append(rec)
    cells = []
    for (dataset, fraction, arm), recs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                                 ARMS.index(kv[0][2]))):
        acc = [v for r in recs for v in r.accuracy]
        f1 = [v for r in recs for v in r.macro_f1]
        classes = list(dict.fromkeys(c for r in recs for c in r.per_class_f1))
        per_class = {c: sum(r.per_class_f1.get(c, 0.0) for r in recs) / len(recs) for c in classes}
        cells.append(Cell(
            dataset, fraction, arm, len(acc), *mean_std(acc), *mean_std(f1), per_class, recs[0].n_train,
            [str(r.run_dir) for r in recs], round(sum(r.wall_time_s or 0.0 for r in recs), 2),
            sorted({r.device for r in recs if r.device}), sorted({r.kgft_version for r in recs if r.kgft_version}),
            recs[0].name,
        ))
    return cells


def _training_cap(record: RunRecord) -> int | None:
    """The cap of ``record``'s whole training split (``data.max_train`` over the fraction; ``None``: none)."""
    cap = record.train.get("data.max_train")
    return None if cap is None else round(cap / record.fraction)


def separate_training_caps(records: list[RunRecord]) -> list[RunRecord]:
    """Label the runs of a dataset that caps its training split at several sizes apart.

    A study can train on one dataset capped at two sizes (IMDB at 2,500 and at 6,000 reviews);
    pooled under the dataset's name, a fraction's runs of both would make one cell. Where a
    dataset's runs have more than one cap, each run's dataset becomes ``NAME (cap N)`` (``NAME
    (all)`` without a cap); other runs keep their name.
    """
    caps: dict[str, set] = {}
    for rec in records:
        caps.setdefault(rec.dataset, set()).add(_training_cap(rec))
    out = []
    for rec in records:
        if len(caps[rec.dataset]) > 1:
            cap = _training_cap(rec)
            rec = replace(rec, dataset=f"{rec.dataset} ({'all' if cap is None else f'cap {cap}'})")
        out.append(rec)
    return out


def hyperparameter_mismatches(records: list[RunRecord]) -> list[str]:
    """Notes on settings that differ between arms of one dataset × fraction (beyond the knowledge switches)."""
    notes = []
    groups: dict[tuple, list[RunRecord]] = {}
    for rec in records:
        groups.setdefault((rec.dataset, rec.fraction), []).append(rec)
    for (dataset, fraction), recs in sorted(groups.items()):
        keys = sorted({k for r in recs for k in r.train} - ARM_SWITCHES)
        differing = [k for k in keys if len({json.dumps(r.train.get(k)) for r in recs}) > 1]
        if differing:
            notes.append(f"{dataset} at {fraction:.0%}: settings differ between runs: {', '.join(differing)}")
    return notes


@dataclass
class ReportResult:
    """The study's comparison.

    Args:
        cells (list[Cell]): Mean/std per dataset × fraction × arm.
        findings (dict): :func:`pipelines.report_checks.study_checks` output.
        notes (list[str]): Left-out runs, hyperparameter mismatches.
        runs (list[str]): Every run directory used.
    """

    cells: list[Cell]
    findings: dict
    notes: list[str]
    runs: list[str]

    def to_dict(self) -> dict:
        """JSON-ready form (``summary.json``)."""
        return {"cells": [asdict(c) for c in self.cells], "findings": self.findings, "notes": self.notes,
                "runs": self.runs}

    def markdown(self) -> str:
        """The Markdown section for BENCHMARKS.md."""
        from pipelines.report_markdown import render_markdown

        return render_markdown(self)

    def save(self, out_dir: Path | str) -> list[Path]:
        """Write :data:`REPORT_FILES` into ``out_dir`` (each file atomically); returns their paths."""
        from pipelines.report_plots import plot_accuracy_vs_fraction, plot_per_class_change

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = [write_text_atomic(out_dir / "report.md", self.markdown()),
                 write_text_atomic(out_dir / "summary.json", json.dumps(self.to_dict(), indent=2, default=str) + "\n"),
                 plot_accuracy_vs_fraction(self.cells, out_dir / "accuracy_vs_fraction.png"),
                 plot_per_class_change(self.cells, out_dir / "per_class_f1_change.png")]
        return paths


def report(run_dirs: list[Path | str], out_dir: Path | str | None = None) -> ReportResult:
    """Build the knowledge-lift report from training run directories.

    Args:
        run_dirs (list[Path or str]): ``kgft train`` run directories, or directories holding them.
        out_dir (Path or str, optional): Where to save the report; ``None`` saves nothing. (default: ``None``)

    Returns:
        ReportResult: The comparison (saved into ``out_dir`` when given).

    Raises:
        DataError: no runs, or a run directory that is missing or malformed.
    """
    from pipelines.report_checks import study_checks

    paths, notes = find_runs(list(run_dirs))
    records = separate_training_caps([load_run(p) for p in paths])
    cells = aggregate(records)
    result = ReportResult(cells, study_checks(cells), notes + hyperparameter_mismatches(records),
                          [str(p) for p in paths])
    if out_dir is not None:
        result.save(out_dir)
    return result
