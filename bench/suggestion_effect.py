"""Effect of applied link suggestions on Ohsumed: the knowledge arm with and without them.

The loop of ``kgft annotate``, measured end to end on MeSH 2017 and Ohsumed:

1. ``kgft annotate suggest`` proposes ``link`` (and ``class``) rows from the Ohsumed
   training split (seed 0), scored in [0, 1];
2. the **threshold is chosen on validation data**: for each candidate threshold
   (the scores that keep the top ``--shares`` of the proposals) the proposals
   scored at least that high are applied (``kgft annotate apply --min-score``) to a
   copy of the MeSH store, and the knowledge arm trains with seed 0; the threshold
   with the best validation score (the grid's monitor, macro-F1 for Ohsumed) wins,
   "none" (no proposals) competing on the same terms;
3. with the chosen threshold, the knowledge arm trains with and without the
   proposals over ``--seeds`` seeds, compared on the same test abstracts
   (:mod:`pipelines.paired`: 95% bootstrap CI, McNemar);
4. coverage before and after: the share of test abstracts (as the model reads
   them, ``max_len`` tokens) with at least one linked disease concept (a concept
   at or below a class concept, C01..C23).

The KGE vectors are the same in every arm (the embedding run of the MeSH store,
from ``bench/knowledge_lift.py``'s cache): a ``link`` row adds a phrase for an
existing concept, so only the linking changes. Each arm's embedding run is a
copy of that run pointing at its own copy of the store.

    KGFT_DATA_MIRROR=/work/shared/data .venv/bin/python bench/suggestion_effect.py --cache /tmp/study/knowledge --out /tmp/suggest-effect
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a source checkout
    sys.path.insert(0, str(REPO))

from core.errors import ConfigError  # noqa: E402
from core.script import run_script  # noqa: E402
from pipelines.run_dir import RunDir, write_json  # noqa: E402

DATASET = "ohsumed"


def thresholds(suggestions: Path, shares: list[float]) -> list[float]:
    """The scores keeping the top ``shares`` of the scored ``link`` proposals (highest first)."""
    from kg.annotations.fileformat import read_annotations

    scores = sorted((row.score for row in read_annotations(suggestions) if row.kind == "link" and row.score is not None),
                    reverse=True)
    if not scores:
        raise ConfigError(f"{suggestions} holds no scored link proposals")
    return sorted({scores[max(0, min(len(scores), round(share * len(scores))) - 1)] for share in shares},
                  reverse=True)


def knowledge_with(embedding: Path, suggestions: Path | None, min_score: float | None, where: Path) -> Path:
    """An embedding run whose store holds the proposals scored at least ``min_score`` (``None``: the original)."""
    from kg.annotations.apply import apply_file
    from kg.annotations.min_score import scored_view
    from kg.open_store import open_store

    if suggestions is None:
        return embedding
    run = where / "embedding"
    if (where / "applied.json").is_file():
        return run
    shutil.rmtree(where, ignore_errors=True)
    config = json.loads((embedding / "config.json").read_text(encoding="utf-8"))
    shutil.copytree(config["store_dir"], where / "store")
    shutil.copytree(embedding, run)
    write_json(run / "config.json", {**config, "store_dir": str((where / "store").resolve())})
    store = open_store(where / "store")
    try:
        with scored_view(suggestions, min_score) as view:
            result = apply_file(store, view)
    finally:
        store.close()
    write_json(where / "applied.json", {"min_score": min_score, "added": result.added})
    return run


def train_arm(config, run_dir: Path) -> dict:
    """Train (or reuse) one arm; its validation scores per seed and its test metrics."""
    from pipelines.train import train

    run = RunDir(run_dir)
    if not run.is_finished():
        train(config, run_dir, resume=True)
    seeds = range(config.seed, config.seed + config.seeds)
    best = [json.loads(run.seed(s).metrics.read_text(encoding="utf-8"))["fit"]["best_score"] for s in seeds]
    metrics = json.loads(run.metrics.read_text(encoding="utf-8"))
    return {"run_dir": str(run_dir), "valid": best, "accuracy": metrics["accuracy"],
            "accuracy_std": metrics["accuracy_std"], "macro_f1": metrics["macro_f1"]}


def disease_share(config) -> float:
    """Share of test abstracts (``max_len`` tokens) linking a concept at or below a class concept."""
    import tempfile

    from pipelines.train import load_data, load_knowledge, prepare_text

    dataset = load_data(config)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = prepare_text(config, dataset, load_knowledge(config, Path(tmp), True))
    spec = prepared.channel
    index = spec.index
    classes = {index[iri] for iri in spec.class_concepts.values() if iri in index}
    hits = 0
    for text in prepared.linked["test"]:
        concepts = {index[e] for mention in text.mention_entities for e in mention if e in index}
        hits += any(a in classes for c in concepts for a, _ in spec.hierarchy.closure(c))
    return hits / max(1, len(prepared.linked["test"]))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", default="cpu", help="the study grid whose Ohsumed settings to use (default: cpu)")
    parser.add_argument("--cache", type=Path, default=Path("runs/knowledge-lift-cpu/knowledge"),
                        help="knowledge cache of bench/knowledge_lift.py (MeSH store and embedding run)")
    parser.add_argument("--out", type=Path, default=Path("runs/suggestion-effect"), help="output directory")
    parser.add_argument("--fraction", type=float, default=1.0, help="share of the training split (default: 1.0)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the final comparison (default: 3)")
    parser.add_argument("--shares", default="0.25,0.5,1.0",
                        help="candidate thresholds: the scores keeping these shares of the proposals")
    return run_script(parser, run, argv)


def run(args) -> None:
    """The script's work, from its parsed arguments (every training run on one torch thread)."""
    from bench.knowledge_lift import Grid, compare_arms
    from pipelines.suggest import suggest

    grid = Grid.load(args.grid)
    _, embedding, _ = grid.prepare(DATASET, args.cache, "cpu")
    store = Path(json.loads((embedding / "config.json").read_text(encoding="utf-8"))["store_dir"])
    out = args.out
    suggestions = out / "suggestions.tsv"
    base = grid.train_config(DATASET, args.fraction, "knowledge", embedding, "cpu", 1)
    if not suggestions.is_file():
        suggest(DATASET, store, suggestions, seed=base.seed, config=base)
    candidates = [None, *thresholds(suggestions, [float(s) for s in args.shares.split(",")])]
    selection = {}
    for min_score in candidates:
        tag = "none" if min_score is None else f"min{min_score:.3f}"
        knowledge = knowledge_with(embedding, suggestions if min_score is not None else None, min_score,
                                   out / "knowledge" / tag)
        config = base.replace(knowledge=str(knowledge), seeds=1)
        selection[tag] = {"min_score": min_score, **train_arm(config, out / "select" / tag)}
    chosen = max(selection, key=lambda t: selection[t]["valid"][0])
    report = {"grid": grid.name, "fraction": args.fraction, "selection": selection, "chosen": chosen}
    if chosen == "none":
        report["note"] = "no threshold beat the knowledge arm without proposals on validation"
    else:
        arms = {"without": embedding, "with": out / "knowledge" / chosen / "embedding"}
        final = {arm: train_arm(base.replace(knowledge=str(k), seeds=args.seeds), out / "final" / arm)
                 for arm, k in arms.items()}
        runs = {arm: Path(final[arm]["run_dir"]) for arm in arms}
        paired = compare_arms({"knowledge": runs["with"], "baseline": runs["without"]})["knowledge-baseline"]
        report.update(final=final, paired_with_minus_without=paired,
                      disease_share={arm: disease_share(base.replace(knowledge=str(k))) for arm, k in arms.items()})
    write_json(out / "suggestion_effect.json", report)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    sys.exit(main())
