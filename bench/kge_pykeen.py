"""kgft KGE vs PyKEEN (and PyG's ``KGEModel.test``), side by side on one machine.

Same model (TransE, dim 100), same ids, batch 1000, 1 negative per positive
(sLCWA, margin ranking loss), same thread count. Measures

1. training throughput (positive triples/s) of PyKEEN's ``SLCWATrainingLoop``
   and kgft's trainer;
2. filtered evaluation of the full WN18RR test set (both sides) with
   PyKEEN's ``RankBasedEvaluator`` and kgft's ``evaluate`` -- on the *same*
   PyKEEN-trained weights, so the MRRs must agree;
3. PyG's ``KGEModel.test()`` (raw, tail only, one triple at a time) on the
   first ``--pyg-triples`` test triples, and kgft on the same triples.

PyKEEN is a benchmark-only dependency (``pip install pykeen``).

Run::

    KGFT_DATA_MIRROR=/work/shared/data .venv/bin/python bench/kge_pykeen.py --epochs 3
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


def _dataset_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    mirror = os.environ.get("KGFT_DATA_MIRROR")
    if not mirror:
        sys.exit("set KGFT_DATA_MIRROR or pass --data DIR")
    return Path(mirror) / "wn18rr"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="triples dir (default: $KGFT_DATA_MIRROR/wn18rr)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs timed per trainer")
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--p-norm", type=int, default=2, help="TransE norm for both libraries")
    parser.add_argument("--eval-batch-size", type=int, default=256)
    parser.add_argument("--pyg-triples", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="alternating training rounds per trainer (best kept)")
    parser.add_argument("--train-only", action="store_true", help="skip the evaluation comparisons")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()

    import torch
    from pykeen.evaluation import RankBasedEvaluator
    from pykeen.models import TransE as PkTransE
    from pykeen.training import SLCWATrainingLoop
    from pykeen.triples import TriplesFactory

    from kg.graph import load_triples_dir
    from model.kge import FilterIndex, KgeConfig, Trainer, build_model, evaluate

    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    graph = load_triples_dir(_dataset_dir(args.data))
    ent_to_id = {e: i for i, e in enumerate(graph.entities)}
    rel_to_id = {r: i for i, r in enumerate(graph.relations)}
    train, valid, test = (torch.from_numpy(a) for a in (graph.train, graph.valid, graph.test))
    tf = TriplesFactory(mapped_triples=train, entity_to_id=ent_to_id, relation_to_id=rel_to_id)
    n_train = len(train)
    out = {"dataset": graph.summary(), "threads": args.threads, "dim": args.dim, "batch_size": args.batch_size,
           "negatives": 1, "p_norm": args.p_norm, "epochs": args.epochs}

    # ---- training throughput --------------------------------------------
    # Best of --repeats alternating rounds per trainer (PyKEEN, kgft, kgft dense, PyKEEN, ...): on a
    # shared machine the load changes during a run, and alternating exposes every trainer to it alike.
    def pykeen_round() -> tuple[float, object]:
        torch.manual_seed(0)
        model = PkTransE(triples_factory=tf, embedding_dim=args.dim, scoring_fct_norm=args.p_norm, random_seed=0)
        loop = SLCWATrainingLoop(model=model, triples_factory=tf, optimizer="adam", optimizer_kwargs={"lr": 0.01},
                                 negative_sampler="basic", negative_sampler_kwargs={"num_negs_per_pos": 1})
        began = time.perf_counter()
        loop.train(triples_factory=tf, num_epochs=args.epochs, batch_size=args.batch_size, use_tqdm=False,
                   use_tqdm_batch=False)
        return args.epochs * n_train / (time.perf_counter() - began), model

    def kgft_round(sparse: bool | None) -> tuple[float, object, bool]:
        # sparse=None is kgft's default: lazy sparse updates from 10,000 entities (so sparse on WN18RR).
        cfg = KgeConfig(model="transe", dim=args.dim, epochs=args.epochs, batch_size=args.batch_size, lr=0.01,
                          num_negatives=1, loss="margin", p_norm=float(args.p_norm),
                          sparse=sparse).resolved(graph.num_entities)
        model = build_model(cfg, graph.num_entities, graph.num_relations)
        trainer = Trainer(model, graph, cfg, "cpu")
        began = time.perf_counter()
        for epoch in range(1, args.epochs + 1):
            trainer.train_epoch(epoch)
        return args.epochs * n_train / (time.perf_counter() - began), model, cfg.sparse

    rates: dict[str, list[float]] = {"pykeen": [], "kgft": [], "kgft_dense": []}
    for round_ in range(args.repeats):
        rate, pk_model = pykeen_round()
        rates["pykeen"].append(rate)
        for name, sparse in (("kgft", None), ("kgft_dense", False)):
            rate, model, used_sparse = kgft_round(sparse)
            rates[name].append(rate)
            out[f"{name}_sparse"] = used_sparse
            if round_ == 0 and name == "kgft":
                kg_model = model
        print(f"round {round_ + 1}: " + "   ".join(f"{k} {v[-1]:,.0f}" for k, v in rates.items()) + " triples/s",
              flush=True)
    out["train_rounds"] = rates
    out["pykeen_train_triples_per_s"] = max(rates["pykeen"])
    for name in ("kgft", "kgft_dense"):
        out[f"{name}_train_triples_per_s"] = max(rates[name])
        out[f"{name}_train_speedup"] = max(rates[name]) / max(rates["pykeen"])
        print(f"train  best of {args.repeats}: pykeen {max(rates['pykeen']):>10,.0f} triples/s   {name} "
              f"(sparse={out[f'{name}_sparse']}) {max(rates[name]):>10,.0f} triples/s   "
              f"ratio {out[f'{name}_train_speedup']:.1f}x", flush=True)
    if args.train_only:
        print(json.dumps(out, indent=2))
        return

    # ---- filtered evaluation of the full test set (same PyKEEN weights) ----
    pk_model.eval()
    began = time.perf_counter()
    pk_res = RankBasedEvaluator(filtered=True).evaluate(
        pk_model, test, additional_filter_triples=[train, valid], batch_size=args.eval_batch_size,
        use_tqdm=False)
    pk_eval = time.perf_counter() - began
    pk_mrr = float(pk_res.get_metric("both.realistic.inverse_harmonic_mean_rank"))

    with torch.no_grad():  # copy PyKEEN's trained TransE into kgft's (both L_p distance of normalized entities)
        kg_model.node_emb.weight.copy_(pk_model.entity_representations[0](indices=None))
        kg_model.rel_emb.weight.copy_(pk_model.relation_representations[0](indices=None))
    index = FilterIndex(torch.cat([train, valid, test]), graph.num_relations)
    began = time.perf_counter()
    kg_res = evaluate(kg_model, test, index, args.eval_batch_size)  # all test triples, like PyKEEN
    kg_eval = time.perf_counter() - began
    out.update(pykeen_eval_s=pk_eval, kgft_eval_s=kg_eval, eval_speedup=pk_eval / kg_eval,
               pykeen_mrr=pk_mrr, kgft_mrr=kg_res.metrics["mrr"],
               pykeen_hits10=float(pk_res.get_metric("both.realistic.hits_at_10")),
               kgft_hits10=kg_res.metrics["hits@10"])
    print(f"eval   pykeen {pk_eval:8.2f} s (mrr {pk_mrr:.4f})   kgft {kg_eval:8.2f} s "
          f"(mrr {kg_res.metrics['mrr']:.4f})   ratio {pk_eval / kg_eval:.1f}x   [{len(test)} test triples, "
          f"filtered, both sides]", flush=True)

    # ---- PyG's KGEModel.test(): raw, tail-only, python loop ---------------
    sub = test[: args.pyg_triples]
    began = time.perf_counter()
    mean_rank, mrr, hits = kg_model.test(sub[:, 0], sub[:, 1], sub[:, 2], batch_size=20000, k=10, log=False)
    pyg_eval = time.perf_counter() - began
    began = time.perf_counter()
    evaluate(kg_model, sub, index, args.eval_batch_size)
    kg_sub = time.perf_counter() - began
    out.update(pyg_test_s=pyg_eval, pyg_test_triples=len(sub), kgft_same_triples_s=kg_sub,
               pyg_speedup=pyg_eval / kg_sub, pyg_raw_tail_mrr=mrr)
    print(f"pyg    KGEModel.test {pyg_eval:8.2f} s for {len(sub)} triples (raw, tail only)   kgft {kg_sub:6.2f} s "
          f"(filtered, head+tail)   ratio {pyg_eval / kg_sub:.1f}x", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
