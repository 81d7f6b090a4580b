"""Entity-linking benchmark: MeSH 2017 preferred terms over Ohsumed, against a fair pyahocorasick reference.

Builds an :class:`kg.linking.EntityLinker` from the MeSH 2017 tree file's
preferred terms (one per descriptor), links the Ohsumed training texts and
prints coverage (the issue's reference: 99.8% of documents linked, about 10
distinct descriptors each) and throughput, side by side with the reference:
the same keys in one plain pyahocorasick automaton, each document normalized
piece by piece as kgft normalizes it (:func:`kg.linking.normalize.norm_piece`
and :func:`~kg.linking.normalize.piece_form`: case, accents, punctuation,
acronyms, no memo) and matched with ``iter_long`` (non-overlapping longest matches).
kgft's path is the one a knowledge run takes: ``Tokenizer.tokenize(text,
keep_case=True)`` then ``EntityLinker.link_tokens``. Both run in
this one process on one thread (neither uses a second one: "all threads" is the
same figure), on the same documents, alternating, each timed in wall and CPU
time; the agreement of their mentions is reported too. A breakdown (tokenizer
alone, normalization alone, the automaton alone on normalized text) says what
bounds the throughput.

Run: ``KGFT_DATA_MIRROR=/work/shared/data .venv/bin/python bench/linking.py``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable


def mesh_preferred_terms(tree_file: Path) -> list[tuple[str, str]]:
    """``(descriptor IRI, preferred term)`` pairs from a MeSH ``*MeshTree.txt`` file."""
    from kg.convert.mesh import read_mesh_tree
    from kg.convert.namespaces import MESH

    _, terms, _ = read_mesh_tree(tree_file)
    return [(MESH + ui, term) for ui, term in terms.items()]


class Reference:
    """The linker's keys in one plain pyahocorasick automaton: ``" p1  p2 "`` → entity IRIs."""

    def __init__(self, linker) -> None:
        import ahocorasick

        from kg.linking.normalize import ACRONYM_MARK

        self.fold = linker.fold
        self.acronyms = frozenset(p for key in linker.entries for p in key.split(" ") if p.startswith(ACRONYM_MARK))
        self.automaton = ahocorasick.Automaton()
        for key, iris in linker.entries.items():
            self.automaton.add_word(" " + key.replace(" ", "  ") + " ", iris)
        self.automaton.make_automaton()

    def block(self, text: str) -> str:
        """``text`` normalized as kgft normalizes it, each piece wrapped in spaces."""
        from kg.linking.normalize import norm_piece, piece_form, raw_pieces

        fold, acronyms = self.fold, self.acronyms
        return "".join(f" {piece_form(raw, piece, fold, acronyms)} " for m in raw_pieces(text)
                       if (piece := norm_piece(raw := m.group())))

    def link(self, text: str) -> list[tuple[str, ...]]:
        """Entity tuples of the leftmost-longest matches in ``text``."""
        block = self.block(text)
        return [iris for _, iris in self.automaton.iter_long(block)] if block else []


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """``(wall, cpu)`` seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(paths: dict[str, Callable[[], object]], repeats: int) -> dict[str, dict]:
    """Time each path ``repeats`` times, alternating; first (cold) run and the median of all runs."""
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in paths}
    for _ in range(repeats):
        for name, fn in paths.items():
            runs[name].append(timed(fn))
    return {name: {"cold_wall_s": round(r[0][0], 3), "cold_cpu_s": round(r[0][1], 3),
                   "wall_s": round(statistics.median(w for w, _ in r), 3),
                   "cpu_s": round(statistics.median(c for _, c in r), 3)} for name, r in runs.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed passes over the documents per path")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    from core.data import fetch
    from kg.linking import EntityLinker, coverage
    from core.progress import set_quiet
    from model.text import Tokenizer, load_dataset

    set_quiet(True)
    pairs = mesh_preferred_terms(fetch("mesh-2017").files["mesh/2017MeshTree.txt"])
    t0 = time.perf_counter()
    linker = EntityLinker.from_labels(pairs)
    build_wall = time.perf_counter() - t0
    reference = Reference(linker)
    texts = [ex.text for ex in load_dataset("ohsumed", valid_fraction=0.0).train]
    tokenizer = Tokenizer()
    blocks = [reference.block(t) for t in texts]

    paths = {
        "kgft_tokenize_link": lambda: [linker.link_tokens(tokenizer.tokenize(t, keep_case=True)) for t in texts],
        "kgft_link_text": lambda: [linker.link(t) for t in texts],
        "reference": lambda: [reference.link(t) for t in texts],
        "tokenize_only": lambda: [tokenizer.tokenize(t, keep_case=True) for t in texts],
        "normalize_only": lambda: [reference.block(t) for t in texts],
        "automaton_only": lambda: [list(reference.automaton.iter_long(b)) for b in blocks],
    }
    timing = measure(paths, args.repeats)
    n = len(texts)
    rate = {name: round(n / t["wall_s"], 1) for name, t in timing.items()}
    cpu_rate = {name: round(n / t["cpu_s"], 1) for name, t in timing.items()}
    same = sum([m.entities for m in linker.link(t)] == reference.link(t) for t in texts)
    report = coverage(linker, texts, tokenizer)
    result = {
        "descriptors": len(pairs), "linker_keys": len(linker), "build_s": round(build_wall, 3),
        "documents": n, "document_share": round(report.document_share, 4),
        "token_share": round(report.token_share, 4),
        "distinct_descriptors_per_doc": round(report.distinct_entities_per_doc, 2),
        "threads": 1, "repeats": args.repeats, "timing": timing,
        "docs_per_s_wall": rate, "docs_per_s_cpu": cpu_rate,
        "ratio_tokenize_link_vs_reference": round(rate["kgft_tokenize_link"] / rate["reference"], 2),
        "ratio_link_text_vs_reference": round(rate["kgft_link_text"] / rate["reference"], 2),
        "cpu_ratio_tokenize_link_vs_reference": round(cpu_rate["kgft_tokenize_link"] / cpu_rate["reference"], 2),
        "cpu_ratio_link_text_vs_reference": round(cpu_rate["kgft_link_text"] / cpu_rate["reference"], 2),
        "same_mentions_as_reference": round(same / n, 4),
        "target_docs_per_s": 10_000, "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"MeSH 2017: {result['descriptors']} descriptors -> {result['linker_keys']} keys "
          f"(built in {result['build_s']} s); Ohsumed train: {n} docs, {report.document_share:.1%} linked, "
          f"{report.distinct_entities_per_doc:.2f} distinct descriptors/doc, {report.token_share:.1%} of tokens")
    print(f"1 thread, median of {args.repeats} alternating passes (cold first pass in brackets):")
    for name, t in timing.items():
        print(f"  {name:20s} {rate[name]:>9,.0f} docs/s wall ({n / t['cold_wall_s']:,.0f} cold), "
              f"{cpu_rate[name]:>9,.0f} docs/s CPU")
    print(f"ratio kgft/reference, wall (CPU): tokenize+link_tokens {result['ratio_tokenize_link_vs_reference']}x "
          f"({result['cpu_ratio_tokenize_link_vs_reference']}x), link(text) {result['ratio_link_text_vs_reference']}x "
          f"({result['cpu_ratio_link_text_vs_reference']}x); same mentions in "
          f"{result['same_mentions_as_reference']:.1%} of docs; target 10,000 docs/s; "
          f"load average {result['load_average']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
