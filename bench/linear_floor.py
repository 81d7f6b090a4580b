"""The linear floor of the knowledge-lift study: TF-IDF + logistic regression, with and without graph features.

A BiLSTM's lift is only interesting against a strong linear peer. For one
dataset configuration (the same splits, subsample and linking as
``kgft train``) this fits scikit-learn's logistic regression on

* ``tfidf``: word uni- and bigrams (sublinear TF-IDF) of the tokens a baseline run reads (kgft's
  tokenizer, each text truncated to ``max_len`` as the run truncates it);
* ``tfidf+graph``: the same plus the knowledge channel's bag of ancestors
  (``log(1 + count)`` per class-like concept, :mod:`model.knowledge.channel_inputs`);
* ``tfidf+shuffled``: the same with the shuffled control's bag (the seed's
  permutation of the concept-to-ancestor map);

choosing the regularization ``C`` (and, for the graph arms, the scale of the
graph block beside the L2-normalized TF-IDF rows) on the validation split and
reporting test accuracy, per seed (the seed sets the subsample and the permutation).
Seeds that read the same texts (a whole training split: no subsample to draw)
fit ``tfidf`` and ``tfidf+graph`` once; only the shuffled arm is fitted per seed.

    .venv/bin/python bench/linear_floor.py --dataset mr --knowledge RUN_DIR_OR_STORE [--train-fraction 0.1] [--seeds 3]
    .venv/bin/python bench/linear_floor.py --dataset imdb --config pipelines/quickstart.toml --knowledge runs/main/embedding
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a source checkout
    sys.path.insert(0, str(REPO))

C_GRID = (0.25, 1.0, 4.0, 16.0)
#: Scales of the graph block (its log-counts beside unit-length TF-IDF rows), chosen on validation.
GRAPH_SCALES = (0.03, 0.1, 0.3, 1.0)


def _bag_matrix(docs, features: int):
    from scipy.sparse import csr_matrix

    rows = [i for i, d in enumerate(docs) for _ in d.bag_ids]
    cols = [int(c) for d in docs for c in d.bag_ids]
    vals = [float(w) for d in docs for w in d.bag_weights]
    return csr_matrix((vals, (rows, cols)), shape=(len(docs), max(features, 1)))


def _fit(words: dict, y: dict, graph: dict | None = None, c_grid: tuple = C_GRID) -> dict:
    """Test accuracy of the ``C`` (and graph scale) with the best validation accuracy.

    ``c_grid`` is fitted weakest penalty last, each fit warm-started from the previous one (the
    same optima, in fewer iterations than fitting each ``C`` from zero).
    """
    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression

    best = None
    for scale in GRAPH_SCALES if graph is not None else (None,):
        x = words if graph is None else {s: hstack([words[s], scale * graph[s]]).tocsr() for s in words}
        model = LogisticRegression(max_iter=2000, warm_start=True)  # each C starts from the last C's solution
        for c in sorted(c_grid):
            model.set_params(C=c).fit(x["train"], y["train"])
            score = model.score(x["valid"], y["valid"])
            if best is None or score > best[0]:
                best = (score, c, scale, float(model.score(x["test"], y["test"])))
    out = {"valid": best[0], "C": best[1], "test": best[3]}
    return out if graph is None else {**out, "graph_scale": best[2]}


def _unigrams_and_bigrams(tokens: list[str]) -> list[str]:
    """A text's features: its tokens and adjacent token pairs."""
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


def floor(config, seed: int, fitted: dict | None = None, c_grid: tuple = C_GRID) -> dict:
    """The three linear arms of one configuration and seed.

    Args:
        config: A :class:`pipelines.train_config.TrainConfig` with ``knowledge`` set.
        seed (int): Seed of the subsample and of the shuffled control.
        fitted (dict, optional): Results of earlier seeds by a digest of their texts and labels;
            a seed that reads the same texts takes its ``tfidf`` and ``tfidf+graph`` results from
            there (the same fits) and adds its own.
        c_grid (tuple): The values of ``C`` offered to validation. (default: :data:`C_GRID`)
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    from pipelines.train import load_data, load_knowledge, prepare_text

    # the held-out splits stay the configuration's, as in the study's runs (bench/knowledge_lift.py)
    config = config.replace(seed=seed, seeds=1, split_seed=config.data.split_seed
                            if config.data.split_seed is not None else config.seed)
    dataset = load_data(config)
    with tempfile.TemporaryDirectory() as tmp:
        knowledge = load_knowledge(config, Path(tmp), True)
        prepared = prepare_text(config, dataset, knowledge)
    tokens = prepare_text(config.replace(baseline=True), dataset, None).tokens
    splits = ("train", "valid", "test")
    y = {s: [ex.label for ex in dataset.split(s)] for s in splits}
    same = {} if fitted is None else fitted.setdefault(_digest(tokens, y), {})
    vectorizer = TfidfVectorizer(analyzer=_unigrams_and_bigrams, min_df=2, sublinear_tf=True)
    words = {"train": vectorizer.fit_transform(tokens["train"])}
    words.update({s: vectorizer.transform(tokens[s]) for s in ("valid", "test")})
    out = {"tfidf": same.get("tfidf") or _fit(words, y, c_grid=c_grid)}
    for arm, shuffled in (("tfidf+graph", False), ("tfidf+shuffled", True)):
        if not shuffled and arm in same:
            out[arm] = same[arm]
            continue
        encoder = dataclasses.replace(prepared.channel, shuffled=shuffled).for_seed(seed, dataset.labels).encoder
        graph = {s: _bag_matrix([encoder.encode(t.position_entities, t.mention_entities, t.mention_negated)
                                 for t in prepared.linked[s]], encoder.bag_size) for s in splits}
        out[arm] = _fit(words, y, graph, c_grid)
    same.update({arm: out[arm] for arm in ("tfidf", "tfidf+graph")})
    return out


def floors(config, seeds, c_grid: tuple = C_GRID) -> list[dict]:
    """:func:`floor` for each of ``seeds``, seeds on the same texts sharing their seed-free fits."""
    fitted: dict = {}
    return [floor(config, seed, fitted, c_grid) for seed in seeds]


def _digest(tokens: dict, labels: dict) -> str:
    """A digest of every split's token lists and labels: equal for seeds that read the same texts."""
    return hashlib.sha256(json.dumps([tokens, labels], sort_keys=True).encode()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    from pipelines.config_file import read_toml
    from pipelines.train_config import TrainConfig

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--knowledge", required=True, help="embedding run or store (as kgft train --knowledge)")
    parser.add_argument("--train-fraction", type=float, default=1.0)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-train", type=int, default=None)
    parser.add_argument("--c-grid", type=float, nargs="+", default=list(C_GRID),
                        help=f"values of C offered to validation (default: {' '.join(map(str, C_GRID))})")
    parser.add_argument("--config", type=Path, default=None,
                        help="a kgft train TOML whose data and linking settings to use (e.g. the main job's)")
    args = parser.parse_args(argv)
    base = TrainConfig.from_dict(read_toml(args.config), str(args.config)) if args.config else TrainConfig()
    changes = {"max_train": args.max_train} if args.max_train else {}
    config = base.replace(dataset=args.dataset, knowledge=args.knowledge, train_fraction=args.train_fraction,
                          device="cpu", **changes)
    results = floors(config, range(args.seeds), tuple(args.c_grid))
    print(json.dumps({"dataset": args.dataset, "train_fraction": args.train_fraction, "seeds": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
