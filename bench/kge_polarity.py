"""Do a knowledge run's entity vectors carry the opinion lexicon's polarity?

For every lexicon word (an entity with ``kgft:polarity`` in the converted
lexicon), the nearest other lexicon word by cosine similarity of the KGE
vectors; prints the share with the same polarity, beside the majority rate
(what a vector space without polarity would give at best by chance).

Run (after ``make main``, or on any embedding run of a store holding the lexicon)::

    .venv/bin/python bench/kge_polarity.py runs/main/embedding runs/main/ontology/opinion-lexicon.ttl
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

POLARITY = "https://w3id.org/kgft/vocab#polarity"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="embedding run directory (entities.tsv, entity_embeddings.npy)")
    parser.add_argument("lexicon", type=Path, help="the converted opinion lexicon (Turtle)")
    args = parser.parse_args()

    import numpy as np
    import rdflib

    graph = rdflib.Graph().parse(args.lexicon)
    polarity = {str(s): str(o) for s, o in graph.subject_objects(rdflib.URIRef(POLARITY))}
    with open(args.run / "entities.tsv", encoding="utf-8", newline="") as fh:
        names = [row[1] for row in csv.reader(fh, delimiter="\t")][1:]
    vectors = np.load(args.run / "entity_embeddings.npy", allow_pickle=False)
    words = [i for i, name in enumerate(names) if name in polarity and polarity[name] != name]
    x = vectors[words] / np.linalg.norm(vectors[words], axis=1, keepdims=True)
    similarity = x @ x.T
    np.fill_diagonal(similarity, -np.inf)
    labels = np.array([polarity[names[i]] for i in words])
    same = float(np.mean(labels[similarity.argmax(1)] == labels))
    majority = max(float(np.mean(labels == label)) for label in set(labels))
    print(f"{len(words):,} lexicon words: nearest lexicon neighbour has the same polarity {same:.1%} "
          f"(majority rate {majority:.1%})")


if __name__ == "__main__":
    main()
