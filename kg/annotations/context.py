"""Graph context of a set of documents: which concepts (or their graph neighbours) the linker finds in them.

The context of a concept ``c`` for documents ``D`` is how much more often
``c`` or one of its neighbours is linked in ``D`` than in all documents, as a
normalized lift in [0, 1]: ``(p_D - p_all) / (1 - p_all)`` when positive, else 0.
Neighbours are the concepts one graph edge away (either way) and, when KGE
vectors are given, ``c``'s nearest concepts in that space
(:class:`~kg.annotations.kge_neighbours.KgeNeighbours`).
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Iterable, Sequence


class ConceptContext:
    """Concepts linked per document, and the graph's edges between concepts.

    Args:
        doc_concepts (Sequence[set[str]]): Concept IRIs linked in each document.
        edges (Iterable[tuple[str, str, str]]): ``(subject, predicate, object)`` edges of the graph.
        max_neighbours (int): A concept with more graph neighbours uses only itself and its nearest
            KGE neighbours (hubs say little). (default: ``50``)
        nearest (Callable[[str], Sequence[str]], optional): A concept's nearest concepts by KGE
            vectors. (default: ``None``)
    """

    def __init__(self, doc_concepts: Sequence[set[str]], edges: Iterable[tuple[str, str, str]] = (),
                 max_neighbours: int = 50, nearest: Callable[[str], Sequence[str]] | None = None) -> None:
        self.size = len(doc_concepts)
        self.docs: dict[str, set[int]] = {}
        for d, concepts in enumerate(doc_concepts):
            for iri in concepts:
                self.docs.setdefault(iri, set()).add(d)
        self.doc_concepts = doc_concepts
        self._neighbours: dict[str, set[str]] = {}
        for s, _, o in edges:
            if s != o:
                self._neighbours.setdefault(s, set()).add(o)
                self._neighbours.setdefault(o, set()).add(s)
        self.max_neighbours = max_neighbours
        self.nearest = nearest
        self._cache: dict[str, frozenset[int]] = {}

    def neighbourhood_docs(self, iri: str) -> frozenset[int]:
        """Documents linking ``iri`` or one of its neighbours (graph edges, nearest KGE vectors)."""
        found = self._cache.get(iri)
        if found is None:
            near = self._neighbours.get(iri, set())
            members = [iri] + (sorted(near) if len(near) <= self.max_neighbours else [])
            members += list(self.nearest(iri)) if self.nearest is not None else []
            found = frozenset().union(*(self.docs.get(m, ()) for m in members))
            self._cache[iri] = found
        return found

    def lift(self, docs: Sequence[int] | set[int], iri: str) -> float:
        """The normalized lift of ``iri``'s neighbourhood in ``docs`` (see the module docstring)."""
        if not docs or not self.size:
            return 0.0
        where = self.neighbourhood_docs(iri)
        p_all = len(where) / self.size
        if p_all >= 1:
            return 0.0
        p_docs = len(where.intersection(docs)) / len(docs)
        return max(0.0, (p_docs - p_all) / (1 - p_all))

    def co_linked(self, docs: Sequence[int], k: int = 5, min_docs: int = 2) -> list[str]:
        """The ``k`` concepts linked in ``docs`` most over their overall rate (ties by IRI)."""
        counts = Counter(iri for d in docs for iri in self.doc_concepts[d])
        scored = [(n / len(docs) - len(self.docs[iri]) / self.size, iri) for iri, n in counts.items()
                  if n >= min_docs]
        return [iri for gain, iri in sorted(scored, key=lambda t: (-t[0], t[1])) if gain > 0][:k]
