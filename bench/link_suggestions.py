"""Link-suggestion quality: held-out MeSH labels recovered by ``kgft annotate suggest`` on Ohsumed.

A seeded 20% of the MeSH 2017 descriptors (preferred terms, one per
descriptor) is held out from the linker; the label index that candidate
phrases are matched against keeps every descriptor (the held-out labels are
what an expert would add as ``link`` rows). Link suggestions are computed on
the Ohsumed training split (the split ``kgft train --dataset ohsumed`` uses,
seed 0) exactly as :mod:`pipelines.suggest` does, with the MeSH tree's
``broader`` edges as graph context.

A proposal ``(phrase, concept)`` is right when the concept is held out and
the phrase normalizes (pieces, plurals folded) to one of its label keys.
Reported: precision@k (right proposals among the top k) and recall@k
(held-out descriptors recovered in the top k, over the held-out descriptors
whose label of at most 3 tokens occurs in at least ``--min-df`` training
texts), for k = 10, 50, 100, against the baseline of string similarity
alone: every candidate phrase (not linked, in ``--min-df`` texts) matched to
its most similar label, ranked by that similarity (ties: more texts first).

Run: ``KGFT_DATA_MIRROR=/work/shared/data .venv/bin/python bench/link_suggestions.py``
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KS = (10, 50, 100)
BROADER = "http://www.w3.org/2004/02/skos/core#broader"


def mesh_graph() -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """``(descriptor IRI, preferred term)`` pairs and ``broader`` edges of the MeSH 2017 tree."""
    from kg.convert.mesh import read_mesh_tree
    from kg.convert.namespaces import MESH
    from core.data import fetch

    positions, terms, at = read_mesh_tree(fetch("mesh-2017").files["mesh/2017MeshTree.txt"])
    pairs = [(MESH + ui, term) for ui, term in sorted(terms.items())]
    edges = sorted({(MESH + ui, BROADER, MESH + at[t.rsplit(".", 1)[0]]) for ui, ts in positions.items()
                    for t in ts if "." in t and t.rsplit(".", 1)[0] in at})
    return pairs, edges


def text_keys(tokens: list[str], fold: bool) -> set[str]:
    """Keys of every 1-3 token span of a text (pieces joined, as label keys)."""
    from kg.linking.normalize import phrase_key

    pieces = [phrase_key(t, fold) for t in tokens]
    return {" ".join(p for p in pieces[i:i + n] if p) for n in (1, 2, 3) for i in range(len(pieces) - n + 1)}


def score(ranked: list[tuple[str, str]], truth: dict[str, set[str]], present: set[str], fold: bool) -> dict:
    """precision@k and recall@k of ``(phrase, IRI)`` proposals, best first."""
    from kg.linking.normalize import phrase_key

    right = [iri in truth and phrase_key(phrase, fold) in truth[iri] for phrase, iri in ranked]
    out = {}
    for k in KS:
        found = {iri for (phrase, iri), ok in zip(ranked[:k], right[:k]) if ok}
        out[f"precision@{k}"] = round(sum(right[:k]) / k, 3)
        out[f"recall@{k}"] = round(len(found & present) / max(len(present), 1), 4)
    return out


def baseline(tokens, covered, index, min_df: int, fold: bool) -> list[tuple[str, str]]:
    """Every candidate phrase with its most similar concept, by similarity, then texts, then phrase."""
    from kg.annotations.phrases import doc_phrases

    surfaces: dict = {}
    df = Counter(key for t, c in zip(tokens, covered) for key in doc_phrases(t, c, 3, fold, surfaces))
    scored = []
    for key, n in df.items():
        if n < min_df:
            continue
        surface = min(surfaces[key].items(), key=lambda kv: (-kv[1], kv[0]))[0]
        best = index.nearest(surface, 1)
        if best:
            scored.append((-round(best[0].similarity, 9), -n, key, surface, best[0].iri))
    return [(surface, iri) for *_, surface, iri in sorted(scored)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the held-out descriptors")
    parser.add_argument("--holdout", type=float, default=0.2, help="share of descriptors held out")
    parser.add_argument("--min-df", type=int, default=3, help="training texts a phrase must occur in")
    parser.add_argument("--options", default="{}", help="LinkOptions fields as JSON (default: the defaults)")
    parser.add_argument("--embedding", type=Path, default=None,
                        help="an embedding run of the MeSH store: KGE neighbours join the graph context")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    from kg.annotations.label_index import LabelIndex
    from kg.annotations.suggest_links import LinkOptions, linked_corpus, suggest_links
    from kg.linking.normalize import label_keys
    from core.progress import set_quiet
    from model.text import Tokenizer
    from pipelines.suggest import kge_neighbours
    from pipelines.train import build_linker, load_data
    from pipelines.train_config import TrainConfig

    set_quiet(True)
    start = time.perf_counter()
    pairs, edges = mesh_graph()
    iris = sorted({iri for iri, _ in pairs})
    held = set(random.Random(args.seed).sample(iris, round(args.holdout * len(iris))))
    config = TrainConfig().replace(dataset="ohsumed", seed=0)
    fold = config.linking.fold_plurals
    data = load_data(config)
    kept = [(iri, term) for iri, term in pairs if iri not in held]
    linker = build_linker(SimpleNamespace(label_pairs=kept, unlinks=[]), data, config)
    tokens, covered, concepts = linked_corpus([ex.text for ex in data.train], Tokenizer(lowercase=config.data.lowercase),
                                              linker)
    index = LabelIndex(pairs, fold=fold)
    truth: dict[str, set[str]] = {}
    for iri, term in pairs:
        if iri in held:
            truth.setdefault(iri, set()).update(label_keys(term, fold=fold))
    grams = Counter(g for toks in tokens for g in text_keys(toks, fold))
    present = {iri for iri, keys in truth.items() if any(grams[k] >= args.min_df for k in keys)}
    setup_s = time.perf_counter() - start
    t0 = time.perf_counter()
    found = suggest_links(tokens, covered, concepts, [ex.label for ex in data.train], data.labels, index, edges,
                          LinkOptions(**{"max_rows": max(KS), "min_df": args.min_df, **json.loads(args.options)}), fold=fold,
                          nearest=kge_neighbours(args.embedding))
    suggest_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = baseline(tokens, covered, index, args.min_df, fold)
    base_s = time.perf_counter() - t0
    result = {
        "descriptors": len(iris), "held_out": len(held), "held_out_present": len(present),
        "training_texts": len(data.train), "seed": args.seed, "min_df": args.min_df,
        "suggest": score([(c.phrase.surface, c.iri) for c in found], truth, present, fold),
        "baseline_string_similarity": score(base, truth, present, fold),
        "baseline_candidates": len(base),
        "seconds": {"setup": round(setup_s, 1), "suggest": round(suggest_s, 1), "baseline": round(base_s, 1)},
        "top_suggestions": [f"{c.phrase.surface} -> {c.iri.rsplit('/', 1)[-1]} ({c.score:.3f})" for c in found[:10]],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"MeSH 2017: {len(iris)} descriptors, {len(held)} held out from the linker (seed {args.seed}), "
          f"{len(present)} of them named in >= {args.min_df} of {len(data.train)} Ohsumed training texts")
    for name in ("suggest", "baseline_string_similarity"):
        print(f"{name:<28}" + "  ".join(f"{k} {v}" for k, v in result[name].items()))
    print("seconds:", result["seconds"])
    print("top suggestions:", "; ".join(result["top_suggestions"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
