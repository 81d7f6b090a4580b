"""Time to the same validation MRR: kgft's KGE trainer vs PyKEEN's, side by side on WN18RR.

``--settings shared`` (the default): both libraries train the same model with
the same settings (those of BENCHMARKS.md's link-prediction commands: Adam lr
0.01, batch 512, 16 uniform negatives per positive, sLCWA, no regularizer,
Xavier-uniform initialization):
TransE (dim 100, L1 distance, margin ranking loss, margin 1) and ComplEx (dim
64 complex, softplus loss, both libraries' default loss for it). kgft runs lazy
sparse Adam and dense Adam (its default is printed: ``KgeConfig.resolved``
decides per graph and batch); PyKEEN its dense Adam.

``--settings defaults``: each library as a user gets it without options.
kgft: ``KgeConfig(model=...)``, what ``kgft embed --model ...`` trains (dim 100,
batch 1000, Adam lr 0.01, 16 negatives, the model's default loss). PyKEEN:
what ``pipeline(model=...)`` trains (the model class's defaults: TransE dim 50,
ComplEx dim 200 with its L2 regularizer; Adam at torch's lr 0.001; one
negative per positive; batch 256, ``TrainingLoop.train``'s CPU default).

Every ``--eval-every`` epochs each model's weights are scored on the validation
set by one evaluator, kgft's filtered evaluation (it agrees with PyKEEN's
``RankBasedEvaluator``, see ``bench/kge_pykeen.py``), so only the training
differs; evaluation time is not counted as training time. Reported per
trainer: the validation MRR curve (unseen-entity triples counted as misses, and
excluded), training seconds (wall and CPU) to each point, and the training
seconds to first reach the target: the lower of the trainers' best validation
MRRs (every trainer reaches it), plus the ratio of PyKEEN's time to kgft's.
All trainers run in this one process, one after the other, at ``--threads``.

PyKEEN is a benchmark-only dependency (``pip install pykeen``).

Run::

    KGFT_DATA_MIRROR=/work/shared/data .venv/bin/python bench/kge_time_to_quality.py --model transe --epochs 30
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.filterwarnings("ignore")

SETTINGS = {
    "transe": {"dim": 100, "loss": "margin", "p_norm": 1.0},
    "complex": {"dim": 64, "loss": "softplus"},
}
BATCH, LR, NEGATIVES = 512, 0.01, 16
#: What PyKEEN's ``pipeline()`` trains on a CPU when given only the model (see the module docstring).
PYKEEN_DEFAULTS = {"batch_size": 256, "lr": 0.001, "negatives": 1}


def kgft_config(name: str, graph, sparse: bool | None, epochs: int, settings: str = "shared"):
    """kgft's :class:`KgeConfig` for ``settings`` (``sparse=None``: kgft's own choice)."""
    from model.kge import KgeConfig

    if settings == "defaults":
        return KgeConfig(model=name, epochs=epochs, sparse=sparse).resolved(graph.num_entities)
    return KgeConfig(model=name, epochs=epochs, batch_size=BATCH, lr=LR, num_negatives=NEGATIVES, sparse=sparse,
                     **SETTINGS[name]).resolved(graph.num_entities)


def kgft_trainer(name: str, graph, sparse: bool, epochs: int, settings: str):
    """A kgft model and its ``train(epoch)`` step."""
    from model.kge import Trainer, build_model

    cfg = kgft_config(name, graph, sparse, epochs, settings)
    model = build_model(cfg, graph.num_entities, graph.num_relations)
    return model, Trainer(model, graph, cfg, "cpu").train_epoch


def pykeen_model(name: str, tf, settings: str):
    """PyKEEN's model: with the shared settings, or the class's defaults."""
    from pykeen.models import ComplEx as PkComplEx
    from pykeen.models import TransE as PkTransE

    if settings == "defaults":
        return (PkTransE if name == "transe" else PkComplEx)(triples_factory=tf, random_seed=0)
    if name == "transe":
        return PkTransE(triples_factory=tf, embedding_dim=SETTINGS[name]["dim"], scoring_fct_norm=1,
                        loss="marginranking", loss_kwargs={"margin": 1.0}, random_seed=0)
    # kgft's ComplEx is PyG's, initialized Xavier-uniform; PyKEEN's default is N(0, 1) (Trouillon's code).
    return PkComplEx(triples_factory=tf, embedding_dim=SETTINGS[name]["dim"], loss="softplus", regularizer=None,
                     entity_initializer="xavier_uniform", relation_initializer="xavier_uniform", random_seed=0)


def pykeen_trainer(name: str, graph, settings: str):
    """A PyKEEN model and a ``train(epoch)`` step (one epoch of ``SLCWATrainingLoop``, continued)."""
    import torch
    from pykeen.training import SLCWATrainingLoop
    from pykeen.triples import TriplesFactory

    tf = TriplesFactory(mapped_triples=torch.from_numpy(graph.train),
                        entity_to_id={e: i for i, e in enumerate(graph.entities)},
                        relation_to_id={r: i for i, r in enumerate(graph.relations)})
    model = pykeen_model(name, tf, settings)
    shared = settings == "shared"
    batch, lr, negatives = (BATCH, LR, NEGATIVES) if shared else PYKEEN_DEFAULTS.values()
    loop = SLCWATrainingLoop(model=model, triples_factory=tf, optimizer="adam", optimizer_kwargs={"lr": lr},
                             negative_sampler="basic", negative_sampler_kwargs={"num_negs_per_pos": negatives})

    def train(epoch: int) -> None:
        loop.train(triples_factory=tf, num_epochs=epoch, batch_size=batch, use_tqdm=False, use_tqdm_batch=False,
                   continue_training=epoch > 1)

    return model, train


def pykeen_shell(name: str, pk_model, graph):
    """A kgft model shaped like PyKEEN's (same dimension) to score its weights with kgft's evaluator."""
    from model.kge import KgeConfig, build_model

    dim = pk_model.entity_representations[0].shape[0]
    cfg = KgeConfig(model=name, dim=dim, **{k: v for k, v in SETTINGS[name].items() if k != "dim"})
    return build_model(cfg.resolved(graph.num_entities), graph.num_entities, graph.num_relations)


def pykeen_to_kgft(pk_model, kg_model) -> None:
    """Copy PyKEEN's trained weights into a kgft model of the same kind (for the shared evaluator)."""
    import torch

    ents = pk_model.entity_representations[0](indices=None).detach()
    rels = pk_model.relation_representations[0](indices=None).detach()
    with torch.no_grad():
        if torch.is_complex(ents):
            kg_model.node_emb.weight.copy_(ents.real)
            kg_model.node_emb_im.weight.copy_(ents.imag)
            kg_model.rel_emb.weight.copy_(rels.real)
            kg_model.rel_emb_im.weight.copy_(rels.imag)
        else:
            kg_model.node_emb.weight.copy_(ents)
            kg_model.rel_emb.weight.copy_(rels)


def run_curve(label: str, train, scorer, valid_mrr, epochs: int, every: int) -> dict:
    """Train ``epochs`` epochs, scoring validation every ``every``; the curve with cumulative training time."""
    curve, wall, cpu = [], 0.0, 0.0
    for epoch in range(1, epochs + 1):
        w0, c0 = time.perf_counter(), time.process_time()
        train(epoch)
        wall += time.perf_counter() - w0
        cpu += time.process_time() - c0
        if epoch % every == 0 or epoch == epochs:
            point = {"epoch": epoch, "train_s": wall, "train_cpu_s": cpu, **valid_mrr(scorer())}
            curve.append(point)
            print(f"{label:<14} epoch {epoch:>3}: valid MRR {point['mrr']:.4f} (seen only {point['mrr_seen']:.4f}), "
                  f"{wall:7.1f}s train wall, {cpu:7.1f}s CPU", flush=True)
    return {"curve": curve, "best_mrr": max(p["mrr"] for p in curve)}


def time_to(curve: list[dict], target: float) -> dict | None:
    """The first point of ``curve`` at or above ``target`` MRR."""
    return next((p for p in curve if p["mrr"] >= target - 1e-12), None)


def compare(name: str, graph, args) -> dict:
    """All trainers of one model; their curves, the target MRR and the time each took to reach it."""
    import torch

    from model.kge import FilterIndex, evaluate

    train_t, valid_t, test_t = (torch.from_numpy(a) for a in (graph.train, graph.valid, graph.test))
    index = FilterIndex(torch.cat([train_t, valid_t, test_t]), graph.num_relations)

    def valid_mrr(model) -> dict:
        res = evaluate(model, valid_t, index, 256, train=train_t)
        return {"mrr": res.metrics["mrr"], "mrr_seen": res.seen_only["mrr"], "hits@10": res.metrics["hits@10"]}

    runs = {}
    for label, sparse in (("kgft-sparse", True), ("kgft-dense", False)):
        model, train = kgft_trainer(name, graph, sparse, args.epochs, args.settings)
        runs[label] = run_curve(f"{name} {label}", train, lambda m=model: m, valid_mrr, args.epochs, args.eval_every)
        runs[label]["sparse"] = sparse
    pk_model, pk_train = pykeen_trainer(name, graph, args.settings)
    shell = pykeen_shell(name, pk_model, graph)

    def pk_scorer():
        pykeen_to_kgft(pk_model, shell)
        return shell

    runs["pykeen"] = run_curve(f"{name} pykeen", pk_train, pk_scorer, valid_mrr, args.epochs, args.eval_every)
    target = min(r["best_mrr"] for r in runs.values())
    reached = {label: time_to(r["curve"], target) for label, r in runs.items()}
    default = "kgft-sparse" if kgft_config(name, graph, None, 1, args.settings).sparse else "kgft-dense"
    shared = {**SETTINGS[name], "batch_size": BATCH, "lr": LR, "negatives": NEGATIVES}
    out = {"model": name, "settings": args.settings,
           "kgft": shared if args.settings == "shared" else kgft_config(name, graph, None, 1, "defaults").__dict__,
           "pykeen": shared if args.settings == "shared" else PYKEEN_DEFAULTS,
           "runs": runs, "target_mrr": target, "reached": reached, "kgft_default": default}
    print(f"{name}: kgft's default here is {default}")
    pk = reached["pykeen"]
    for label in ("kgft-sparse", "kgft-dense"):
        ours = reached[label]
        out[f"{label}_speedup"] = pk["train_s"] / ours["train_s"]
        out[f"{label}_cpu_speedup"] = pk["train_cpu_s"] / ours["train_cpu_s"]
        print(f"{name}: target valid MRR {target:.4f} (lower best); PyKEEN {pk['train_s']:.1f}s (epoch {pk['epoch']}), "
              f"{label} {ours['train_s']:.1f}s (epoch {ours['epoch']}): {out[f'{label}_speedup']:.1f}x wall, "
              f"{out[f'{label}_cpu_speedup']:.1f}x CPU", flush=True)
    last = {label: r["curve"][-1]["mrr"] for label, r in runs.items()}
    print(f"{name}: valid MRR after {args.epochs} epochs: " + ", ".join(f"{k} {v:.4f}" for k, v in last.items()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="triples dir (default: $KGFT_DATA_MIRROR/wn18rr)")
    parser.add_argument("--model", choices=sorted(SETTINGS), nargs="+", default=["transe"])
    parser.add_argument("--epochs", type=int, default=30, help="epochs per trainer")
    parser.add_argument("--eval-every", type=int, default=5)
    parser.add_argument("--settings", choices=("shared", "defaults"), default="shared",
                        help="the same settings on both sides, or each library's defaults")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of every trainer and the evaluator")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()

    import torch

    from kg.graph import load_triples_dir

    mirror = os.environ.get("KGFT_DATA_MIRROR")
    if not (args.data or mirror):
        sys.exit("set KGFT_DATA_MIRROR or pass --data DIR")
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    graph = load_triples_dir(Path(args.data) if args.data else Path(mirror) / "wn18rr")
    out = {"dataset": graph.summary(), "threads": args.threads, "epochs": args.epochs,
           "load_average_start": os.getloadavg()[0], "models": [compare(name, graph, args) for name in args.model]}
    out["load_average_end"] = os.getloadavg()[0]
    print(f"threads {args.threads}, load average {out['load_average_start']:.1f} -> {out['load_average_end']:.1f} "
          f"on {os.cpu_count()} cores")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
