"""Entity-linking benchmark: MeSH 2017 preferred terms over Ohsumed.

Builds an :class:`kg.linking.EntityLinker` from the MeSH 2017 tree file's
preferred terms (one per descriptor), links the Ohsumed training texts and
prints coverage (the issue's reference: 99.8% of documents linked, about 10
distinct descriptors each) and throughput, side by side with the plain-``re``
reference: one compiled alternation of every term (longest first, word-bounded,
case-insensitive) over a sample of documents.

Run: ``KGFT_DATA_MIRROR=/work/shared/data .venv/bin/python bench/linking.py``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

def mesh_preferred_terms(tree_file: Path) -> list[tuple[str, str]]:
    """``(descriptor IRI, preferred term)`` pairs from a MeSH ``*MeshTree.txt`` file."""
    from kg.convert.mesh import read_mesh_tree
    from kg.convert.namespaces import MESH

    _, terms, _ = read_mesh_tree(tree_file)
    return [(MESH + ui, term) for ui, term in terms.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-docs", type=int, default=100,
                        help="documents for the regex reference (it is slow)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    from kg.data import fetch
    from kg.linking import EntityLinker, coverage
    from kg.progress import set_quiet
    from model.text import Tokenizer, load_dataset

    set_quiet(True)
    tree = fetch("mesh-2017").files["mesh/2017MeshTree.txt"]
    pairs = mesh_preferred_terms(tree)
    t0 = time.perf_counter()
    linker = EntityLinker.from_labels(pairs)
    build_s = time.perf_counter() - t0

    ds = load_dataset("ohsumed", valid_fraction=0.0)
    texts = [ex.text for ex in ds.train]
    tokenizer = Tokenizer()
    t0 = time.perf_counter()
    report = coverage(linker, texts, tokenizer)
    link_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for text in texts:
        linker.link(text)
    raw_s = time.perf_counter() - t0

    # reference: one compiled regex alternation of every term (longest first),
    # word-bounded and case-insensitive: what plain `re` offers
    sample = texts[: args.reference_docs]
    terms = sorted({term for _, term in pairs}, key=len, reverse=True)
    alternation = re.compile(r"\b(?:" + "|".join(map(re.escape, terms)) + r")\b", re.IGNORECASE)
    t0 = time.perf_counter()
    for text in sample:
        alternation.findall(text)
    ref_s = time.perf_counter() - t0
    ref_docs_s = len(sample) / ref_s

    result = {
        "descriptors": len(pairs),
        "linker_keys": len(linker),
        "build_s": round(build_s, 3),
        "documents": report.documents,
        "document_share": round(report.document_share, 4),
        "token_share": round(report.token_share, 4),
        "distinct_descriptors_per_doc": round(report.distinct_entities_per_doc, 2),
        "top_entities": report.top_entities[:10],
        "docs_per_s_link_tokens_with_tokenize": round(len(texts) / link_s, 1),
        "docs_per_s_link_raw_text": round(len(texts) / raw_s, 1),
        "docs_per_s_regex_reference": round(ref_docs_s, 1),
        "speedup_vs_reference": round((len(texts) / raw_s) / ref_docs_s, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"MeSH 2017: {result['descriptors']} descriptors -> {result['linker_keys']} keys "
              f"(built in {result['build_s']} s)")
        print(f"Ohsumed train: {report.documents} docs, {report.document_share:.1%} linked "
              f"(reference 99.8%), {report.distinct_entities_per_doc:.2f} distinct descriptors/doc "
              f"(reference ~10), {report.token_share:.1%} of tokens linked")
        print(f"throughput: tokenize+link_tokens {result['docs_per_s_link_tokens_with_tokenize']} docs/s, "
              f"link(text) {result['docs_per_s_link_raw_text']} docs/s, regex-alternation reference "
              f"{result['docs_per_s_regex_reference']} docs/s -> ratio {result['speedup_vs_reference']}x")
        print("top descriptors:", ", ".join(f"{iri.rsplit('/', 1)[-1]}:{n}" for iri, n in report.top_entities[:10]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
