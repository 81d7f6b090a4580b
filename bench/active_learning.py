"""Active learning, simulated: uncertainty (margin) vs random selection of the texts to label next.

The training split of a dataset is the pool, its labels hidden until asked.
Per seed, a stratified 10% of the pool (seeded) is labelled first; then each
of 5 rounds trains the knowledge arm from scratch on the labelled texts, asks
for the labels of the next ``--step`` texts (100 for MR, 200 for Ohsumed) and
adds them. The texts are chosen exactly as ``kgft annotate suggest --run RUN
--pool FILE --strategy margin`` chooses them (:func:`pipelines.active_learning.select_pool`,
which also writes the to-label CSV); the simulation fills in the hidden labels
and passes the filled CSVs to the next training as ``kgft train --extra-train``
does (``[data] extra_train``). The labelled base (the first 10%) is a
dataset directory with the original validation and test splits; every round
is tested on the full test split.

Settings are the knowledge arm of the study's CPU grid (``examples/study_cpu.toml``:
``bench/knowledge_lift.py``'s :class:`Grid`), its cached knowledge
(:func:`prepare_knowledge`; ``--cache``), one torch thread per training.

Layout of ``--out``: ``<dataset>/seed<N>/<dataset>_base/`` (the labelled base),
``<dataset>/seed<N>/round0/`` (its run), ``<dataset>/seed<N>/<strategy>/round<K>/``
(``query.csv``, the texts the previous round's run asked for with their labels
filled in, and ``run/``), ``active_learning.json`` (settings, machine, every
round's accuracy, the curves' mean and std, the label saving; one entry per
dataset, kept across invocations) and ``active_learning_<dataset>.png``.
Finished rounds are kept, so rerunning continues.

Run: ``KGFT_DATA_MIRROR=/work/shared/data .venv/bin/python bench/active_learning.py --datasets mr
--seeds 3 --cache /tmp/study/knowledge``
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import platform
import sys
import time
from collections import defaultdict, deque
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a source checkout
    sys.path.insert(0, str(REPO))

from core.script import run_script  # noqa: E402
from pipelines.run_dir import RunDir, write_json  # noqa: E402

logger = logging.getLogger("active_learning")

STEPS = {"mr": 100, "ohsumed": 200}
STRATEGIES = ("margin", "random")


def write_rows(path: Path, rows: list[tuple[str, str]]) -> Path:
    """Write ``(text, label)`` rows as a CSV with a header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([("text", "label"), *rows])
    return path


def write_base(directory: Path, data, pool: list, labelled: list[int]) -> Path:
    """The labelled base as a dataset directory: ``train.csv`` (the labelled pool texts), ``valid.csv``, ``test.csv``.

    The directory's name starts with the dataset's (``mr_...``), so training finds its shipped class map.
    """
    def rows(examples):
        return [(ex.text, data.labels[ex.label]) for ex in examples]

    if not (directory / "test.csv").is_file():
        write_rows(directory / "train.csv", rows(pool[i] for i in labelled))
        write_rows(directory / "valid.csv", rows(data.valid))
        write_rows(directory / "test.csv", rows(data.test))
    return directory


def train_round(config, run_dir: Path) -> dict:
    """Train (or reuse) one round's run; its test accuracy and training size."""
    from pipelines.train import train

    run = RunDir(run_dir)
    if not run.is_finished():
        logger.info("training %s (%d extra files)", run_dir, len(config.data.extra_train))
        train(config, run_dir, resume=True)
    metrics = json.loads(run.metrics.read_text(encoding="utf-8"))
    saved = json.loads(run.config.read_text(encoding="utf-8"))
    return {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"],
            "n_train": saved["dataset"]["train"]["size"], "wall_time_s": saved.get("wall_time_s")}


def query(model_dir: Path, target: Path, pool: list, labels: list[str], unlabelled: list[int], n: int,
          strategy: str, seed: int) -> list[int]:
    """Ask for ``n`` labels the way ``kgft annotate suggest --run --pool`` picks texts; fill in the hidden labels.

    Writes ``target/pool.csv`` (the unlabelled texts, as the pool file) and ``target/query.csv`` (the texts
    ``model_dir``'s run picked, labels filled in: ready for ``--extra-train``); an existing ``query.csv`` is reused.

    Returns:
        list[int]: The pool indices asked for.
    """
    from pipelines.active_learning import select_pool

    answered = target / "query.csv"
    if not answered.is_file():
        pool_file = write_rows(target / "pool.csv", [(pool[i].text, "") for i in unlabelled])
        picked = select_pool(model_dir, str(pool_file), target / "to-label.csv", n=n, strategy=strategy, seed=seed,
                             n_steps=8)
        logger.info(picked.summary())
        by_text: dict[str, deque] = defaultdict(deque)
        for i in unlabelled:
            by_text[pool[i].text].append(i)
        with open(picked.output, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:  # the oracle: the hidden label (and the pool index, for the simulation)
            index = by_text[row["text"]].popleft()
            row["label"], row["pool_index"] = labels[pool[index].label], index
        with open(answered, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        pool_file.unlink()
        picked.output.unlink()
    with open(answered, encoding="utf-8", newline="") as handle:
        return [int(row["pool_index"]) for row in csv.DictReader(handle)]


def simulate(dataset: str, seed: int, base_config, out: Path, rounds: int, step: int, start: float) -> dict:
    """One seed: each strategy's test accuracy per round (round 0, the labelled base, is shared)."""
    from model.text.splits import stratified_indices
    from pipelines.train import load_data

    data = load_data(base_config.replace(seed=seed))
    pool = data.train
    base = stratified_indices([ex.label for ex in pool], start, seed)
    root = out / dataset / f"seed{seed}"
    config = base_config.replace(dataset=str(write_base(root / f"{dataset}_base", data, pool, base)), seed=seed,
                                 seeds=1)
    first = {"round": 0, "labels": len(base), **train_round(config, root / "round0")}
    curves = {}
    for strategy in STRATEGIES:
        labelled, extra, points, model_dir = list(base), [], [first], root / "round0"
        for k in range(1, rounds + 1):
            asked = set(labelled)
            target = root / strategy / f"round{k}"
            target.mkdir(parents=True, exist_ok=True)
            labelled += query(model_dir, target, pool, data.labels, [i for i in range(len(pool)) if i not in asked],
                              step, strategy, seed * 1000 + k)
            extra.append(str(target / "query.csv"))
            model_dir = target / "run"
            points.append({"round": k, "labels": len(labelled),
                           **train_round(config.replace(extra_train=tuple(extra)), model_dir)})
        curves[strategy] = points
    return {"dataset": dataset, "seed": seed, "pool": len(pool), "base": len(base), "curves": curves}


def labels_to_reach(labels: list[int], accuracy: list[float], goal: float) -> float | None:
    """The label count where a mean curve first reaches ``goal`` (linear between rounds), or ``None``."""
    for k, (n, acc) in enumerate(zip(labels, accuracy)):
        if acc >= goal:
            if k == 0:
                return float(n)
            n0, a0 = labels[k - 1], accuracy[k - 1]
            return n0 + (goal - a0) / (acc - a0) * (n - n0)
    return None


def mean_std(values: np.ndarray, labels: list[int]) -> dict:
    """Per round (column), the mean and sample std over seeds (rows), rounded."""
    std = values.std(0, ddof=1) if len(values) > 1 else np.zeros(values.shape[1])
    return {"labels": labels, "mean": values.mean(0).round(4).tolist(), "std": std.round(4).tolist()}


def label_saving(labels: list[int], margin: list[float], random: list[float]) -> dict:
    """Labels ``margin``'s mean curve needs to reach ``random``'s final mean, against ``random``'s count."""
    goal, n_random, base = random[-1], labels[-1], labels[0]
    reached = labels_to_reach(labels, margin, goal)
    return {"goal": goal, "random_labels": n_random, "margin_labels": None if reached is None else round(reached, 1),
            "random_first_reaches_goal_at": labels_to_reach(labels, random, goal),
            "saving_total": None if reached is None else round(1 - reached / n_random, 4),
            "saving_queried": None if reached is None else round(1 - (reached - base) / (n_random - base), 4)}


def summarize(runs: list[dict]) -> dict:
    """Per round, mean and std over seeds of each strategy's accuracy and macro-F1 and of the paired
    difference ``margin - random``; the label saving of ``margin`` on both metrics."""
    labels = [p["labels"] for p in runs[0]["curves"]["random"]]
    curves, saving = {}, {}
    for metric in ("accuracy", "macro_f1"):
        values = {s: np.array([[p[metric] for p in r["curves"][s]] for r in runs]) for s in STRATEGIES}
        suffix = "" if metric == "accuracy" else f" {metric}"
        for strategy in STRATEGIES:
            curves[strategy + suffix] = mean_std(values[strategy], labels)
        curves["margin-random" + suffix] = mean_std(values["margin"] - values["random"], labels)
        saving[metric] = label_saving(labels, curves["margin" + suffix]["mean"], curves["random" + suffix]["mean"])
    return {"curves": curves, "saving": saving}


def plot(summary: dict, dataset: str, seeds: int, path: Path) -> None:
    """Accuracy vs labels, mean ± std over seeds, one line per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for strategy in STRATEGIES:
        curve = summary["curves"][strategy]
        mean, std = np.array(curve["mean"]), np.array(curve["std"])
        ax.plot(curve["labels"], mean, marker="o", label="uncertainty (margin)" if strategy == "margin" else strategy)
        ax.fill_between(curve["labels"], mean - std, mean + std, alpha=0.2)
    ax.axhline(summary["saving"]["accuracy"]["goal"], color="grey", linestyle=":", linewidth=1,
               label="random's final accuracy")
    ax.set_xlabel("labelled training texts")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"{dataset}: active learning, knowledge arm ({seeds} seed{'s' if seeds > 1 else ''})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="mr", help="comma-separated: mr, ohsumed (default: mr)")
    parser.add_argument("--seeds", type=int, default=3, help="simulation seeds 0..N-1 (default: 3)")
    parser.add_argument("--rounds", type=int, default=5, help="query rounds (default: 5)")
    parser.add_argument("--step", type=int, default=None, help="labels per round (default: 100 MR, 200 Ohsumed)")
    parser.add_argument("--start", type=float, default=0.1, help="share of the pool labelled first (default: 0.1)")
    parser.add_argument("--grid", default="cpu", help="the study grid whose knowledge-arm settings to use")
    parser.add_argument("--cache", type=Path, default=Path("runs/knowledge-lift-cpu/knowledge"),
                        help="knowledge cache of bench/knowledge_lift.py")
    parser.add_argument("--out", type=Path, default=Path("runs/active-learning"), help="output directory")
    return run_script(parser, run, argv)


def run(args) -> None:
    """The script's work, from its parsed arguments."""
    import torch

    from bench.knowledge_lift import Grid
    from pipelines.version import kgft_version

    torch.set_num_threads(1)
    grid = Grid.load(args.grid)
    report = {"command": " ".join(sys.argv), "kgft_version": kgft_version(), "torch_version": torch.__version__,
              "python": platform.python_version(), "machine": platform.machine(),
              "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "datasets": {}}
    saved = args.out / "active_learning.json"
    if saved.is_file():  # results of other datasets from earlier invocations
        report["datasets"] = json.loads(saved.read_text(encoding="utf-8"))["datasets"]
    for dataset in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        begin, started, load = time.perf_counter(), time.strftime("%Y-%m-%d %H:%M:%S %Z"), os.getloadavg()
        _, embedding, _ = grid.prepare(dataset, args.cache, "cpu")
        base_config = grid.train_config(dataset, 1.0, "knowledge", embedding, "cpu", 1)
        step = args.step or STEPS[dataset]
        done = set((args.out / dataset).rglob("metrics.json"))
        runs = [simulate(dataset, seed, base_config, args.out, args.rounds, step, args.start)
                for seed in range(args.seeds)]
        conditions = {"wall_s": round(time.perf_counter() - begin, 1), "started": started,
                      "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "loadavg_start": load,
                      "loadavg_end": os.getloadavg()}
        previous = report["datasets"].get(dataset, {})
        if set((args.out / dataset).rglob("metrics.json")) == done and "conditions" in previous:
            conditions = previous["conditions"]  # nothing trained now: keep when the runs were made
        summary = summarize(runs)
        figure = args.out / f"active_learning_{dataset}.png"
        plot(summary, dataset, args.seeds, figure)
        report["datasets"][dataset] = {"settings": {"seeds": args.seeds, "rounds": args.rounds, "step": step,
                                                    "start": args.start, "train": base_config.to_dict()},
                                       "runs": runs, **summary, "plot": str(figure), "conditions": conditions}
        write_json(saved, report)
        print(json.dumps({dataset: {**summary, "plot": str(figure)}}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
