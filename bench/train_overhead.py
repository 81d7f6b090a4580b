"""Knowledge injection must add at most 15% to epoch time against the baseline.

Side by side on the same synthetic data (IMDB-like lengths): one training
epoch of the baseline BiLSTM, of the same model with token-level knowledge
(initialization + regularizer over the linked tokens and their graph
neighbours), and with the knowledge channel (concept vectors beside the words
for ~30% of the tokens, a bag of ancestors beside the head, its penalty);
optionally ``--joint`` with a TransE loss. Runs alternate; the report gives
each kind's median epoch. Prints tokens/s and the ratio to the baseline.

``--runs CONFIG [kgft train options]`` measures real runs instead, as a user
meets them: whole ``kgft train --config CONFIG`` processes with the options
given after it, once with ``--baseline`` and once without (the knowledge run),
alternating, ``--repeats`` times each; the report gives the median of each
arm's epochs (from its ``metrics.json``) and their ratio.

    .venv/bin/python bench/train_overhead.py [--docs 1024] [--length 200] [--repeats 3] [--joint]
    .venv/bin/python bench/train_overhead.py --repeats 2 --runs pipelines/quickstart.toml --knowledge runs/main/embedding --seeds 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from model.classifier import BiLSTMClassifier, ClassifierConfig
from model.knowledge import JointKGELoss, KnowledgeAugmentedClassifier, KnowledgeOptions, TokenLinks, build_alignment
from model.knowledge.channel import ChannelConfig
from model.knowledge.channel_inputs import ChannelDoc
from model.train import EncodedSplit, Trainer, TrainSettings
from pipelines.run_dir import RunDir

SLOTS = 4
BAG_FEATURES = 2000


def make_data(docs: int, length: int, vocab: int, seed: int = 0) -> EncodedSplit:
    """Zipf-distributed token ids, lengths around ``length``, two classes."""
    rng = np.random.default_rng(seed)
    ids = []
    for _ in range(docs):
        n = int(np.clip(rng.normal(length, length / 4), 10, 2 * length))
        ids.append((np.minimum(rng.zipf(1.2, n), vocab - 3) + 2).tolist())
    return EncodedSplit(ids, rng.integers(0, 2, docs).tolist())


def make_knowledge(vocab: int, linked: int, entities: int, dim: int, edges: int, seed: int = 0):
    """An alignment of ``linked`` tokens to random entities plus a random graph."""
    rng = np.random.default_rng(seed)
    names = [f"e{i}" for i in range(entities)]
    token_rows = rng.choice(np.arange(2, vocab), linked, replace=False)
    links = TokenLinks.from_dict({f"w{t}": [names[e] for e in rng.choice(entities, rng.integers(1, 4))]
                                  for t in token_rows})
    itos = [f"w{i}" for i in range(vocab)]
    graph = rng.integers(0, entities, (edges, 2))
    alignment = build_alignment(itos, links, {n: i for i, n in enumerate(names)}, graph, 16)
    table = torch.from_numpy(rng.normal(size=(entities, dim)).astype(np.float32))
    triples = torch.from_numpy(np.stack([graph[:, 0], rng.integers(0, 4, edges), graph[:, 1]], 1))
    return alignment, table, triples


def with_channel(data: EncodedSplit, entities: int, linked_share: float = 0.3, seed: int = 0) -> EncodedSplit:
    """``data`` with random channel inputs: concepts at ``linked_share`` of the positions, ~20 bag features."""
    rng = np.random.default_rng(seed)
    docs = []
    for ids in data.ids:
        positions = np.flatnonzero(rng.random(len(ids)) < linked_share)
        slots = rng.integers(1, entities + 1, (len(positions), SLOTS))
        bag = np.unique(rng.integers(0, BAG_FEATURES, 20))
        docs.append(ChannelDoc(positions, slots, bag, np.log1p(rng.integers(1, 5, len(bag))).astype(np.float32)))
    return EncodedSplit(data.ids, data.labels, docs, SLOTS)


def epoch_seconds(kind: str, data: EncodedSplit, cfg: ClassifierConfig, knowledge, joint: bool) -> tuple[float, float]:
    """Seconds and tokens/s of one training epoch."""
    torch.manual_seed(0)
    alignment, table, triples = knowledge
    if kind == "channel":
        vectors = torch.cat([torch.zeros(1, table.shape[1]), table])
        cfg = ClassifierConfig(**{**cfg.to_dict(), "channel": ChannelConfig(
            vectors.shape[0], table.shape[1], 32, BAG_FEATURES, SLOTS).to_dict()})
        data = with_channel(data, table.shape[0])
    classifier = BiLSTMClassifier(cfg, vectors if kind == "channel" else None)
    if kind in ("baseline", "channel"):
        model = KnowledgeAugmentedClassifier(classifier)
    elif joint:
        from model.kge import KgeConfig, build_model

        kcfg = KgeConfig(model="transe", dim=table.shape[1], num_negatives=4)
        kge = build_model(kcfg, table.shape[0], 4)
        loss = JointKGELoss(kge, kcfg, triples, batch_size=256)
        model = KnowledgeAugmentedClassifier(classifier, alignment, None,
                                             KnowledgeOptions(reg_weight=0.1, joint=True), loss)
    else:
        model = KnowledgeAugmentedClassifier(classifier, alignment, table, KnowledgeOptions(reg_weight=0.1))
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(model, data, EncodedSplit(data.ids[:64], data.labels[:64]), ["a", "b"],
                          TrainSettings(epochs=1, batch_size=64), Path(tmp), torch.device("cpu"),
                          {"vocab_hash": "-", "model_config": cfg.to_dict(), "knowledge": kind})
        record = trainer._train_epoch(1)
    return record["seconds"], record["tokens_per_s"]


def report(times: dict[str, list[tuple[float, float]]]) -> None:
    """Median epoch of each kind and its ratio to the baseline's."""
    medians = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    base = medians["baseline"][0]
    for kind, (sec, tps) in medians.items():
        print(f"{kind:10} epoch {sec:7.2f} s  {tps:9.0f} tokens/s  ratio vs baseline {sec / base:5.3f}")


def run_epochs(arm: str, options: list[str], out: Path) -> list[float]:
    """Epoch seconds of one whole ``kgft train`` process with ``options`` (every seed's epochs), a run
    of kind ``arm``."""
    kgft = str(Path(sys.executable).with_name("kgft"))
    subprocess.run([kgft, "train", *options, "--out", str(out), "-q"], check=True)
    run = RunDir(out)
    kind = run.read_config()["kind"]
    if kind != arm:
        raise SystemExit(f"the {arm} arm trained a {kind} run: give the knowledge with --knowledge or in CONFIG")
    seeds = [s["seed"] for s in json.loads(run.metrics.read_text(encoding="utf-8"))["per_seed"]]
    return [h["seconds"] for seed in seeds
            for h in json.loads(run.seed(seed).metrics.read_text(encoding="utf-8"))["fit"]["history"]
            if h.get("epoch", 0) >= 1]


def compare_runs(config: str, options: list[str], repeats: int) -> None:
    """Alternate whole baseline and knowledge runs of ``config`` (plus ``options``); print each arm's
    median epoch and the ratio."""
    arms = {"baseline": ["--config", config, *options, "--baseline"], "knowledge": ["--config", config, *options]}
    epochs: dict[str, list[float]] = {arm: [] for arm in arms}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeats):
            for arm, args in arms.items():
                epochs[arm] += run_epochs(arm, args, Path(tmp) / f"{arm}-{k}")
    medians = {arm: statistics.median(v) for arm, v in epochs.items()}
    for arm, v in epochs.items():
        print(f"{arm:10} median epoch {medians[arm]:6.2f} s over {len(v)} epochs (min {min(v):.2f}, max {max(v):.2f})")
    print(f"ratio knowledge / baseline {medians['knowledge'] / medians['baseline']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1024)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--vocab", type=int, default=20000)
    parser.add_argument("--linked", type=int, default=6000, help="linked vocabulary tokens")
    parser.add_argument("--entities", type=int, default=48000)
    parser.add_argument("--edges", type=int, default=100000)
    parser.add_argument("--dim", type=int, default=64, help="embedding and hidden size")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--joint", action="store_true", help="also time --joint (TransE loss per step)")
    parser.add_argument("--runs", metavar="CONFIG", help="time whole kgft train runs of this configuration "
                        "instead, with and without --baseline; further options go to kgft train")
    args, options = parser.parse_known_args()
    if args.runs:
        compare_runs(args.runs, options, args.repeats)
        return
    if options:
        parser.error(f"unrecognized arguments: {' '.join(options)}")
    from core.progress import set_quiet
    from model.train import configure_cpu

    configure_cpu()
    set_quiet(True)
    data = make_data(args.docs, args.length, args.vocab)
    cfg = ClassifierConfig(vocab_size=args.vocab, num_classes=2, embedding_dim=args.dim, hidden=args.dim, layers=1)
    knowledge = make_knowledge(args.vocab, args.linked, args.entities, args.dim, args.edges)
    print(f"{args.docs} docs, {data.num_tokens()} tokens, BiLSTM-{args.dim}, {knowledge[0].num_tokens} linked tokens, "
          f"{knowledge[0].neighbours.shape[1]} neighbour pairs, {torch.get_num_threads()} threads")
    kinds = ["baseline", "knowledge", "channel"] + (["joint"] if args.joint else [])
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in kinds}
    for _ in range(args.repeats):
        for kind in kinds:
            times[kind].append(epoch_seconds("knowledge" if kind == "joint" else kind, data, cfg, knowledge,
                                             kind == "joint"))
    report(times)


if __name__ == "__main__":
    main()
