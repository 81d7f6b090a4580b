"""Faithfulness of kgft's token attributions: a deletion test, top-k versus random.

For each text of a test sample, the trained model predicts a class with
probability ``p``. The text's tokens are attributed with integrated gradients
(exactly as ``kgft explain`` does), then

- *top-k*: the ``k`` tokens with the largest attribution toward the predicted
  class are deleted from the token sequence and the probability of that class
  is computed again;
- *random* (the reference): ``k`` tokens chosen uniformly at random are
  deleted instead (averaged over several draws, seeded).

Faithful attributions make the top-k deletion lower the probability more than
the random one. The script prints both average drops for k = 1, 3, 5 and their
ratio (top-k drop / random drop; > 1 means the attributions point at tokens
the model really uses). Only texts with more than ``k`` tokens are used.

Without ``--run``, it first trains a small knowledge run on an MR subset with
the opinion lexicon as knowledge (converted, imported and embedded by kgft
from the mirror), in a temporary directory.

Run: ``KGFT_DATA_MIRROR=/work/shared/data .venv/bin/python bench/explain_faithfulness.py``
(or ``--run RUN_DIR`` for an existing ``kgft train`` run).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def train_small_run(workdir: Path, max_train: int, epochs: int, baseline: bool) -> Path:
    """A quick MR run (with the opinion lexicon as knowledge unless ``baseline``)."""
    from kg.convert import convert_opinion_lexicon
    from kg.embedded import EmbeddedStore
    from pipelines.train import train
    from pipelines.train_config import TrainConfig

    mirror = os.environ.get("KGFT_DATA_MIRROR")
    if not mirror:
        sys.exit("set KGFT_DATA_MIRROR (the offline data mirror) or pass --run RUN_DIR")
    knowledge = None
    if not baseline:
        ttl = workdir / "lexicon.ttl"
        convert_opinion_lexicon(Path(mirror) / "opinion-lexicon", ttl)
        with EmbeddedStore(workdir / "store") as store:
            store.import_file(ttl)
        knowledge = str(workdir / "store")
    config = TrainConfig().replace(dataset="mr", knowledge=knowledge, max_train=max_train, max_test=2000,
                                   epochs=epochs, embedding_dim=64, hidden=64, batch_size=64, device="cpu",
                                   embed_epochs=10, seed=0)
    out = workdir / "run"
    result = train(config, out)
    print(f"trained {result.config['kind']} run on MR ({max_train} texts): "
          f"test accuracy {result.metrics['accuracy']:.4f}", flush=True)
    return out


def test_texts(run, n: int, seed: int) -> list[str]:
    """``n`` texts sampled (seeded) from the test split of the run's dataset."""
    from pipelines.train import load_data
    from pipelines.train_config import TrainConfig

    config = TrainConfig.from_dict(run.config["train"], "config.json")
    texts = [ex.text for ex in load_data(config).test]
    random.Random(seed).shuffle(texts)
    return texts[:n]


def deletion_test(run, texts: list[str], ks: tuple[int, ...], draws: int, n_steps: int, seed: int) -> dict:
    """Average probability drops for top-k and random deletions."""
    from model.attribution import attribute_tokens, predict_proba

    rng = random.Random(seed)
    drops = {k: {"top": [], "random": []} for k in ks}
    for n, text in enumerate(texts, 1):
        if n % 25 == 0:
            print(f"  {n}/{len(texts)} texts", flush=True)
        ids = run.encode(text)[1]
        att = attribute_tokens(run.classifier, ids, baseline_index=run.vocab.unk_index, n_steps=n_steps)
        p = att.probabilities[att.target]
        order = sorted(range(len(ids)), key=lambda i: (-att.attributions[i], i))
        for k in ks:
            if len(ids) <= k:
                continue
            top = set(order[:k])
            kept = [t for i, t in enumerate(ids) if i not in top]
            drops[k]["top"].append(p - predict_proba(run.classifier, kept)[att.target])
            rand = []
            for _ in range(draws):
                gone = set(rng.sample(range(len(ids)), k))
                rest = [t for i, t in enumerate(ids) if i not in gone]
                rand.append(p - predict_proba(run.classifier, rest)[att.target])
            drops[k]["random"].append(sum(rand) / draws)
    out = {}
    for k, d in drops.items():
        n = len(d["top"])
        top, rnd = sum(d["top"]) / n, sum(d["random"]) / n
        out[k] = {"texts": n, "top_drop": top, "random_drop": rnd, "ratio": top / rnd if rnd else float("inf")}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, default=None, help="A kgft train run (default: train a small MR run).")
    parser.add_argument("--texts", type=int, default=200, help="Test texts sampled.")
    parser.add_argument("--draws", type=int, default=5, help="Random deletions per text and k.")
    parser.add_argument("--steps", type=int, default=32, help="Integrated-gradients steps.")
    parser.add_argument("--max-train", type=int, default=4000, help="MR training texts for the small run.")
    parser.add_argument("--epochs", type=int, default=4, help="Epochs of the small run.")
    parser.add_argument("--baseline", action="store_true", help="Train the small run without knowledge.")
    parser.add_argument("--seed", type=int, default=0, help="Sampling seed.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the results to this JSON file.")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's).")
    args = parser.parse_args()

    import torch

    from core.progress import set_quiet
    from pipelines.explain import load_run

    torch.set_flush_denormal(True)
    if args.threads:
        torch.set_num_threads(args.threads)
    set_quiet(True)
    with tempfile.TemporaryDirectory(prefix="kgft-faith-") as tmp:
        run_dir = args.run or train_small_run(Path(tmp), args.max_train, args.epochs, args.baseline)
        run = load_run(run_dir)
        texts = test_texts(run, args.texts, args.seed)
        start = time.perf_counter()
        results = deletion_test(run, texts, (1, 3, 5), args.draws, args.steps, args.seed)
        seconds = time.perf_counter() - start
    print(f"\ndeletion test: {run.config.get('kind')} run, {len(texts)} test texts, IG {args.steps} steps, "
          f"{args.draws} random draws ({seconds:.1f}s)")
    print(f"{'k':>3} {'texts':>6} {'top-k drop':>11} {'random drop':>12} {'ratio':>7}")
    for k, r in results.items():
        print(f"{k:>3} {r['texts']:>6} {r['top_drop']:>11.4f} {r['random_drop']:>12.4f} {r['ratio']:>7.2f}")
    if args.json:
        args.json.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
