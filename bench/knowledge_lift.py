"""The knowledge-lift study: baseline vs KG-augmented vs shuffled-KG fine-tuning over a grid.

For every dataset and training fraction of a grid it trains three arms with
identical settings except the knowledge switches (``kgft train`` without
knowledge, with it, and with the entity vectors shuffled), each over several
seeds, then builds the report (``kgft report``) of all runs.

Knowledge is prepared once per source and cached: shipped terminologies are
fetched through the data registry (``KGFT_DATA_MIRROR`` or upstream),
converted to RDF (``kgft ontology convert``), imported into an embedded store
(``kgft ontology import``), aligned across its files when it has several
(``kgft ontology align``) and embedded (``kgft embed``). Ohsumed uses MeSH
2017; MR and IMDB use the opinion lexicon plus WordNet (WN18RR).

Grids are TOML files (``examples/study_cpu.toml``, ``examples/study_full.toml``)::

    [study]                      # datasets, training fractions, seeds
    [knowledge]                  # kgft embed settings for every source
    [train]                      # kgft train settings shared by every run
    [datasets.NAME]              # per dataset: source (name or path), knowledge, train overrides
    [sources.NAME]               # extra knowledge sources: RDF files to import as they are

Where a cell trains on a subsample (a fraction below 1, or a dataset's ``max_train`` cap), each
seed is a run of its own whose subsample that seed draws (``[data] split_seed`` keeps the
validation and test examples the grid's), so the seeds vary the training data as well as the
weights; a cell on the whole training split is one run of all its seeds.

Layout of ``--out``: ``knowledge/<source>/`` (Turtle, store, embedding runs),
``runs/<dataset>/f<percent>/<arm>/`` (training run directories; ``<arm>-s<seed>`` per seed
where the cell subsamples), ``study.json``
(grid, command, machine, wall time, one line per run and, per dataset and
fraction, the paired comparisons knowledge - baseline, shuffled - baseline and
knowledge - shuffled on the same test examples: :mod:`pipelines.paired`) and
``report/``. Finished runs are kept, interrupted ones resumed, so rerunning
continues; a run directory whose saved configuration differs from the grid's
is refused, never silently reused. ``--floor`` adds the TF-IDF + logistic
regression floor with and without the graph features (``bench/linear_floor.py``),
kept in the cell's ``linear_floor.json`` and computed again only when the
cell's settings or the floor's code change.

Run (CPU, reduced):  ``KGFT_DATA_MIRROR=/work/shared/data .venv/bin/python bench/knowledge_lift.py --grid cpu``
Run (GPU, full):     ``.venv/bin/python bench/knowledge_lift.py --grid full --device auto``
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a source checkout
    sys.path.insert(0, str(REPO))

from core.errors import ConfigError  # noqa: E402
from core.script import run_script  # noqa: E402
from pipelines.run_dir import RunDir, write_json  # noqa: E402

logger = logging.getLogger("knowledge_lift")

GRIDS = {"cpu": REPO / "examples" / "study_cpu.toml", "full": REPO / "examples" / "study_full.toml"}
ARMS = {"baseline": {"baseline": True}, "knowledge": {}, "shuffled": {"knowledge_control": "shuffled"}}


@dataclass(frozen=True)
class Part:
    """One piece of a knowledge source: a registry dataset file and its converter (or plain RDF)."""

    converter: str | None
    dataset: str | None = None
    file: str | None = None
    directory: bool = False
    path: str | None = None


#: The study's knowledge: MeSH 2017 for Ohsumed; opinion lexicon + WordNet for the sentiment tasks.
SOURCES = {
    "mesh2017": [Part("mesh-tree", "mesh-2017", "2017MeshTree.txt")],
    "sentiment": [Part("opinion-lexicon", "opinion-lexicon", "positive-words.txt", directory=True),
                  Part("triples-tsv", "wn18rr", "train.txt", directory=True)],
}
DATASET_KNOWLEDGE = {"ohsumed": "mesh2017", "mr": "sentiment", "imdb": "sentiment"}
SECTIONS = {"study", "knowledge", "train", "datasets", "sources"}
#: Prefixes of the run settings (by dotted name) the linear floor does not read: a floor computed
#: under other values of them is read back (:func:`cell_floor`).
FLOOR_IGNORES = ("model.", "optim.", "embed.", "channel.concept_dim", "channel.vote", "channel.reg",
                 "channel.lr_scale", "channel.init")


@dataclass
class Grid:
    """A parsed grid file."""

    name: str
    datasets: list[str]
    fractions: list[float]
    seeds: int
    embed: dict
    train: dict
    per_dataset: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)

    @classmethod
    def load(cls, spec: str) -> "Grid":
        """Read ``cpu``, ``full`` or a TOML path.

        Raises:
            ConfigError: missing file, bad TOML, unknown sections or values.
        """
        path = GRIDS.get(spec, Path(spec))
        if not path.is_file():
            raise ConfigError(f"no grid {spec!r}", hint=f"use {', '.join(GRIDS)} or a TOML file")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
        unknown = set(data) - SECTIONS
        if unknown:
            raise ConfigError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}",
                              hint=f"known: {', '.join(sorted(SECTIONS))}")
        study = data.get("study", {})
        sources = {}
        for name, spec_ in data.get("sources", {}).items():
            if not isinstance(spec_, dict) or not spec_.get("files"):
                raise ConfigError(f"{path}: [sources.{name}] needs files = [RDF files to import]")
            sources[name] = [Part(None, path=str(f)) for f in spec_["files"]]
        grid = cls(path.stem if spec not in GRIDS else spec, list(study.get("datasets", [])),
                   [float(f) for f in study.get("fractions", [1.0])], int(study.get("seeds", 3)),
                   dict(data.get("knowledge", {})), dict(data.get("train", {})), dict(data.get("datasets", {})),
                   sources)
        if not grid.datasets or grid.seeds < 1 or not all(0 < f <= 1 for f in grid.fractions):
            raise ConfigError(f"{path}: [study] needs datasets, seeds >= 1 and fractions in (0, 1]")
        return grid

    def knowledge_of(self, dataset: str) -> str:
        """The knowledge source name of ``dataset``."""
        name = self.per_dataset.get(dataset, {}).get("knowledge") or DATASET_KNOWLEDGE.get(dataset)
        if name is None or (name not in SOURCES and name not in self.sources):
            raise ConfigError(f"dataset {dataset}: no knowledge source {name!r}",
                              hint="set [datasets.NAME] knowledge = a [sources] entry or mesh2017 / sentiment")
        return name

    def prepare(self, dataset: str, cache: Path, device: str) -> tuple[str, Path, dict]:
        """The knowledge source of ``dataset``: its name, embedding run and facts (:func:`prepare_knowledge`)."""
        name = self.knowledge_of(dataset)
        embedding, facts = prepare_knowledge(name, self.sources.get(name) or SOURCES[name], cache, self.embed, device)
        return name, embedding, facts

    def train_config(self, dataset: str, fraction: float, arm: str, knowledge: Path, device: str, threads):
        """The :class:`TrainConfig` of one run: shared settings, dataset overrides, then the arm's switches.

        A dataset's ``max_train`` caps the training set, and the fraction is of that: IMDB's 10% cell
        with ``max_train = 2500`` trains on 250 reviews.
        """
        from pipelines.train_config import TrainConfig

        where = f"grid {self.name} ({dataset})"
        extra = {k: v for k, v in self.per_dataset.get(dataset, {}).items() if k not in ("knowledge", "source")}
        if extra.get("max_train"):  # a fraction of the capped training set, not of the split before the cap
            extra["max_train"] = max(1, round(extra["max_train"] * fraction))
        source = self.per_dataset.get(dataset, {}).get("source", dataset)
        changes = {"dataset": str(source), "knowledge": str(knowledge), "train_fraction": fraction,
                   "seeds": self.seeds, "device": device, **ARMS[arm]}
        if threads:
            changes["threads"] = threads
        return TrainConfig.from_dict({**self.train, **extra}, where).replace(**changes)


def _local(part: Part) -> Path:
    if part.path is not None:
        return Path(part.path)
    from core.data import fetch

    local = fetch(part.dataset).path(part.file)
    return local.parent if part.directory else local


def prepare_knowledge(name: str, parts: list[Part], cache: Path, embed: dict, device: str) -> tuple[Path, dict]:
    """Convert, import and embed one knowledge source into ``cache/name`` (reused when done).

    Returns:
        tuple[Path, dict]: The embedding run directory and facts (triples, seconds, KGE test MRR).
    """
    import kg.convert as conv
    from kg.align import align_labels
    from kg.open_store import open_store
    from model.kge import KgeConfig
    from pipelines.knowledge import embed_store, is_embedding_run

    root = cache / name
    tag = "-".join(f"{k}{v}" for k, v in sorted(embed.items()) if k not in ("threads", "device"))
    embedding = root / f"embedding-{tag}"
    facts_file = root / "prepared.json"
    facts = json.loads(facts_file.read_text(encoding="utf-8")) if facts_file.is_file() else {}
    store_dir = root / "store"
    start = time.perf_counter()
    if "store_triples" not in facts:
        if store_dir.exists():  # an import interrupted before it was recorded: redo it
            shutil.rmtree(store_dir)
        converters = {"mesh-tree": conv.convert_mesh_tree, "opinion-lexicon": conv.convert_opinion_lexicon,
                      "triples-tsv": conv.convert_triples_tsv}
        files = []
        for part in parts:
            src = _local(part)
            if part.converter is None:
                files.append(src)
                continue
            target = root / "ontology" / f"{part.converter}.ttl"
            target.parent.mkdir(parents=True, exist_ok=True)
            converters[part.converter](src, target)
            files.append(target)
        store = open_store(store_dir)
        try:
            for f in files:
                store.import_file(f)
            aligned = align_labels(store).pairs if len(files) > 1 else 0  # e.g. WordNet synsets ~ lexicon words
            facts = {"files": [str(f) for f in files], "aligned_pairs": aligned, "store_triples": store.count(),
                     "import_seconds": round(time.perf_counter() - start, 1)}
        finally:
            store.close()
        write_json(facts_file, facts)
    if not is_embedding_run(embedding):
        t = time.perf_counter()
        embed_store(store_dir, embedding, KgeConfig(**embed, device=device))
        facts[f"embed_seconds:{embedding.name}"] = round(time.perf_counter() - t, 1)
        write_json(facts_file, facts)
    metrics = json.loads((embedding / "metrics.json").read_text(encoding="utf-8"))
    return embedding, {**facts, "embedding_run": str(embedding), "kge_test_mrr": metrics.get("mrr")}


def check_same_config(run_dir: Path, config) -> None:
    """Refuse a run directory that holds a run of another configuration.

    Raises:
        ConfigError: the saved ``config.json`` differs (device and threads aside).
    """
    saved = RunDir(run_dir).config
    if not saved.is_file():
        return
    from pipelines.train_config import saved_settings

    ignore = {"device", "threads"}
    old = {k: v for k, v in saved_settings(json.loads(saved.read_text(encoding="utf-8"))["train"]).items()
           if k not in ignore}
    new = {k: v for k, v in saved_settings(config.to_dict()).items() if k not in ignore}
    changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    if changed:
        raise ConfigError(f"{run_dir} holds a run with other settings ({', '.join(changed[:6])})",
                          hint="remove it, or give the study another --out")


def compare_arms(runs: dict[str, list[Path]]) -> dict:
    """Paired comparisons of the arms of one cell (dataset and fraction), each arm's runs' seeds stacked."""
    import numpy as np

    from pipelines.paired import compare, correctness

    correct = {arm: np.concatenate([correctness(path) for path in paths]) for arm, paths in runs.items()}
    pairs = (("knowledge", "baseline"), ("shuffled", "baseline"), ("knowledge", "shuffled"))
    return {f"{a}-{b}": compare(correct[a], correct[b]).to_dict() for a, b in pairs if a in correct and b in correct}


def _finished_or_trained(run_dir: Path, config) -> tuple[dict, dict]:
    """The metrics and saved configuration of a run whose directory holds no other configuration."""
    from pipelines.train import finished_or_trained

    check_same_config(run_dir, config)
    return finished_or_trained(config, run_dir)


def arm_runs(grid: Grid, dataset: str, fraction: float, arm: str, cell_dir: Path, embedding: Path, device: str,
             threads: int | None) -> list[tuple[Path, object]]:
    """The run directories and configurations of one arm: one per seed where the cell subsamples."""
    config = grid.train_config(dataset, fraction, arm, embedding, device, threads)
    if fraction >= 1 and config.data.max_train is None:
        return [(cell_dir / arm, config)]
    return [(cell_dir / f"{arm}-s{k}", config.replace(seed=config.seed + k, seeds=1, split_seed=config.seed))
            for k in range(grid.seeds)]


def run_cell(grid: Grid, dataset: str, fraction: float, out: Path, embedding: Path, device: str,
             threads: int | None, floor: bool) -> tuple[list[dict], dict]:
    """Train the arms of one dataset and fraction; their rows for ``study.json`` and their comparisons."""
    from pipelines.report import mean_std

    rows, dirs = [], {}
    cell_dir = out / "runs" / dataset / f"f{round(fraction * 100):03d}"
    for arm in ARMS:
        runs = arm_runs(grid, dataset, fraction, arm, cell_dir, embedding, device, threads)
        done = [_finished_or_trained(run_dir, config) for run_dir, config in runs]
        per_seed = [s for metrics, _ in done for s in metrics["per_seed"]]
        accuracy, accuracy_std = mean_std([s["accuracy"] for s in per_seed])
        run_config = done[0][1]
        dirs[arm] = [run_dir for run_dir, _ in runs]
        rows.append({"dataset": dataset, "fraction": fraction, "arm": arm, "run_dirs": [str(d) for d in dirs[arm]],
                     "accuracy": accuracy, "accuracy_std": accuracy_std,
                     "macro_f1": mean_std([s["macro_f1"] for s in per_seed])[0], "seeds": len(per_seed),
                     "n_train": run_config.get("dataset", {}).get("train"),
                     "device": run_config.get("device"),
                     "wall_time_s": round(sum(c.get("wall_time_s") or 0.0 for _, c in done), 2),
                     "kgft_version": run_config.get("kgft_version")})
    cell = {"dataset": dataset, "fraction": fraction, "paired": compare_arms(dirs)}
    if floor:
        cell["linear_floor"] = cell_floor(grid.train_config(dataset, fraction, "knowledge", embedding, device, threads),
                                          grid.seeds, cell_dir / "linear_floor.json")
    return rows, cell


def _floor_settings(settings: dict) -> dict:
    """The settings of a run (by dotted name) that its cell's linear floor reads: not the thread
    count and device, nor those of the BiLSTM, its optimizer, the KGE or the channel's vectors."""
    return {k: v for k, v in settings.items()
            if k not in ("device", "threads") and not k.startswith(FLOOR_IGNORES)}


def cell_floor(config, seeds: int, path: Path) -> list[dict]:
    """The linear floor of a cell, one result per seed (:mod:`bench.linear_floor`): read from ``path``
    when it was computed there with the same settings (those it reads) and floor code, else computed
    and saved there."""
    import hashlib

    import bench.linear_floor as linear_floor
    from pipelines.train_config import saved_settings

    key = {"settings": json.loads(json.dumps(_floor_settings(saved_settings(config.to_dict())))), "seeds": seeds,
           "code": hashlib.sha256(Path(linear_floor.__file__).read_bytes()).hexdigest()}
    if path.is_file():
        saved = json.loads(path.read_text(encoding="utf-8"))
        saved["settings"] = _floor_settings(saved.get("settings", {}))
        if {k: saved.get(k) for k in key} == key:
            logger.info("%s: the linear floor of this cell, computed already", path)
            return saved["results"]
    results = linear_floor.floors(config, [config.seed + i for i in range(seeds)])
    write_json(path, {**key, "results": results})
    return results


def run_grid(grid: Grid, out: Path, cache: Path, device: str, threads: int | None, prepare_only: bool,
             floor: bool = False, workers: tuple[int, list[str]] | None = None) -> dict:
    """Prepare the knowledge, train every run of ``grid`` into ``out/runs`` and write ``out/study.json``.

    ``workers`` (``(jobs, worker command)``) trains the cells in worker processes first
    (:mod:`bench.study_workers`); the study then reads their finished runs.
    """
    import torch

    from pipelines.version import kgft_version

    start = time.perf_counter()
    summary = {"grid": grid.name, "command": " ".join(sys.argv), "kgft_version": kgft_version(),
               "torch_version": torch.__version__, "python": platform.python_version(),
               "machine": platform.machine(), "cpus": torch.get_num_threads(),
               "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
               "device": device, "settings": {"train": grid.train, "datasets": grid.per_dataset,
                                              "knowledge": grid.embed, "seeds": grid.seeds,
                                              "fractions": grid.fractions},
               "knowledge": {}, "runs": [], "cells": []}
    embeddings = {}
    for dataset in grid.datasets:
        if grid.knowledge_of(dataset) not in embeddings:
            logger.info("preparing knowledge %s", grid.knowledge_of(dataset))
            name, embeddings[name], summary["knowledge"][name] = grid.prepare(dataset, cache, device)
    if not prepare_only and workers:
        from bench.study_workers import run_workers

        run_workers([(d, f) for d in grid.datasets for f in grid.fractions], workers[1], workers[0], out / "logs")
    if not prepare_only:
        for dataset in grid.datasets:
            for fraction in grid.fractions:
                rows, cell = run_cell(grid, dataset, fraction, out, embeddings[grid.knowledge_of(dataset)], device,
                                      threads, floor)
                summary["runs"] += rows
                summary["cells"].append(cell)
                write_json(out / "study.json", {**summary, "wall_s": round(time.perf_counter() - start, 1)})
    summary["wall_s"] = round(time.perf_counter() - start, 1)
    write_json(out / "study.json", summary)
    return summary


def cells_markdown(cells: list[dict]) -> str:
    """The paired comparisons (and linear floors) of every cell as a Markdown table."""
    lines = ["| dataset | fraction | KG - baseline (95% CI) | shuffled - baseline (95% CI) | KG - shuffled (95% CI) "
             "| TF-IDF+LR / +graph / +shuffled |", "|---|---|---|---|---|---|"]
    for cell in cells:
        paired = cell["paired"]
        cols = [f"{p['diff']:+.4f} ({p['ci_low']:+.4f} .. {p['ci_high']:+.4f})" if (p := paired.get(key)) else "-"
                for key in ("knowledge-baseline", "shuffled-baseline", "knowledge-shuffled")]
        floor = cell.get("linear_floor")
        lin = "-" if not floor else " / ".join(
            f"{sum(f[arm]['test'] for f in floor) / len(floor):.4f}" for arm in ("tfidf", "tfidf+graph", "tfidf+shuffled"))
        lines.append(f"| {cell['dataset']} | {cell['fraction']:g} | " + " | ".join(cols) + f" | {lin} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", default="cpu", help="cpu, full, or a grid TOML file (default: cpu)")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default: runs/knowledge-lift-GRID)")
    parser.add_argument("--cache", type=Path, default=None, help="knowledge cache (default: OUT/knowledge)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="training device")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--datasets", default=None, help="comma-separated subset of the grid's datasets")
    parser.add_argument("--seeds", type=int, default=None, help="override the grid's seed count")
    parser.add_argument("--prepare-only", action="store_true", help="only prepare (and cache) the knowledge")
    parser.add_argument("--floor", action="store_true", help="add the TF-IDF + logistic-regression floor")
    parser.add_argument("--jobs", type=int, default=1,
                        help="cells trained at a time, each in a worker process (default: 1, in this process)")
    parser.add_argument("--cell", default=None, help=argparse.SUPPRESS)  # a worker's cell: DATASET:FRACTION
    return run_script(parser, run, argv)


def run(args) -> None:
    """The script's work, from its parsed arguments."""
    grid = Grid.load(args.grid)
    if args.datasets:
        wanted = [d.strip() for d in args.datasets.split(",") if d.strip()]
        grid.datasets = [d for d in grid.datasets if d in wanted] or wanted
    if args.seeds:
        grid.seeds = args.seeds
    out = args.out or Path("runs") / f"knowledge-lift-{grid.name}"
    cache = args.cache or out / "knowledge"
    if args.cell:
        run_worker_cell(grid, args.cell, out, cache, args.device, args.threads, args.floor)
        return
    if args.jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, got {args.jobs}")
    workers = None
    if args.jobs > 1:
        workers = (args.jobs, [sys.executable, str(Path(__file__).resolve()), "--grid", args.grid, "--out", str(out),
                               "--cache", str(cache), "--device", args.device, "--seeds", str(grid.seeds), "--quiet",
                               *(["--threads", str(args.threads)] if args.threads else []),
                               *(["--floor"] if args.floor else [])])
    summary = run_grid(grid, out, cache, args.device, args.threads, args.prepare_only, args.floor, workers)
    if not args.prepare_only:
        from pipelines.report import report

        result = report([out / "runs"], out / "report")
        print(result.markdown())
        print(cells_markdown(summary["cells"]))
        print(f"study of {len(summary['runs'])} runs in {summary['wall_s'] / 60:.1f} min: {out}/study.json, "
              f"report in {out}/report/")


def run_worker_cell(grid: Grid, cell: str, out: Path, cache: Path, device: str, threads: int | None,
                    floor: bool) -> None:
    """Train the runs of one cell (``DATASET:FRACTION``) and fit its floor, a worker's share of ``--jobs``."""
    dataset, _, fraction = cell.rpartition(":")
    if dataset not in grid.datasets or fraction not in {repr(f) for f in grid.fractions}:
        raise ConfigError(f"no cell {cell!r} in grid {grid.name}", hint="a cell is DATASET:FRACTION of the grid")
    _, embedding, _ = grid.prepare(dataset, cache, device)
    run_cell(grid, dataset, float(fraction), out, embedding, device, threads, floor)


if __name__ == "__main__":
    sys.exit(main())
