"""A concept hierarchy read from graph edges: each concept's ancestors, nearest first.

The knowledge channel (:mod:`model.knowledge.channel`) gives a linked mention
its concept *and the concept's ancestors*, so that a word the classifier never
saw in training still reaches a broader concept it did see (a lexicon word its
polarity, a MeSH descriptor its disease category). Ancestors follow
*hierarchy* predicates upward (child → parent) and *equivalence* predicates
in both directions at no depth cost (``skos:closeMatch`` ties a WordNet synset
to a lexicon word of the same label). Predicates are matched by full IRI or by
local name (the part after the last ``#``, ``/`` or ``:``), so the defaults cover
RDFS, SKOS, the MeSH converter's ``skos:broader`` and WordNet's hypernym
relation without naming any ontology in the model.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from core.iri import local_name

#: Child → parent predicates followed upward (full IRIs or local names).
HIERARCHY_PREDICATES = ("subClassOf", "broader", "hypernym", "instance_hypernym", "subPropertyOf")
#: Predicates whose two ends stand for the same concept (followed both ways at no depth cost).
EQUIVALENCE_PREDICATES = ("closeMatch", "exactMatch", "equivalentClass", "sameAs")


def _matches(predicate: str, names: Sequence[str]) -> bool:
    return predicate in names or local_name(predicate) in names


@dataclass
class ConceptHierarchy:
    """Parents and equivalents of concepts, by integer concept id.

    Args:
        parents (dict[int, list[int]]): Concept → its direct parents.
        equivalents (dict[int, list[int]]): Concept → concepts equivalent to it.
        max_depth (int): Ancestors further than this many parent hops are ignored.
            (default: ``10``)
    """

    parents: dict[int, list[int]]
    equivalents: dict[int, list[int]]
    max_depth: int = 10
    _cache: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_edges(
        cls,
        edges: Iterable[tuple[int, str, int]],
        max_depth: int = 10,
        hierarchy: Sequence[str] = HIERARCHY_PREDICATES,
        equivalence: Sequence[str] = EQUIVALENCE_PREDICATES,
    ) -> "ConceptHierarchy":
        """Build from ``(child id, predicate IRI, parent id)`` edges.

        Args:
            edges (Iterable[tuple[int, str, int]]): Graph edges by concept id.
            max_depth (int): See the class. (default: ``10``)
            hierarchy (Sequence[str]): Child → parent predicates. (default: :data:`HIERARCHY_PREDICATES`)
            equivalence (Sequence[str]): Equivalence predicates. (default: :data:`EQUIVALENCE_PREDICATES`)
        """
        parents: dict[int, set[int]] = {}
        equivalents: dict[int, set[int]] = {}
        for head, predicate, tail in edges:
            if head == tail:
                continue
            if _matches(predicate, hierarchy):
                parents.setdefault(head, set()).add(tail)
            elif _matches(predicate, equivalence):
                equivalents.setdefault(head, set()).add(tail)
                equivalents.setdefault(tail, set()).add(head)
        return cls({k: sorted(v) for k, v in parents.items()}, {k: sorted(v) for k, v in equivalents.items()},
                   max_depth)

    def closure(self, concept: int) -> tuple[tuple[int, int], ...]:
        """``(concept id, depth)`` of ``concept``, its equivalents and ancestors, nearest first.

        Depth 0 holds the concept and its equivalents; each parent hop adds one,
        up to ``max_depth``. Every concept appears once, at its smallest depth.
        """
        cached = self._cache.get(concept)
        if cached is not None:
            return cached
        seen = {concept: 0}
        order = [(concept, 0)]
        queue = deque([(concept, 0)])
        while queue:
            node, depth = queue.popleft()
            steps = [(e, depth) for e in self.equivalents.get(node, ())]
            if depth < self.max_depth:
                steps += [(p, depth + 1) for p in self.parents.get(node, ())]
            for nxt, d in steps:
                if nxt not in seen:
                    seen[nxt] = d
                    order.append((nxt, d))
                    (queue.appendleft if d == depth else queue.append)((nxt, d))
        result = tuple(sorted(order, key=lambda pair: pair[1]))
        self._cache[concept] = result
        return result

    def descendant_counts(self, concepts: Iterable[int]) -> dict[int, int]:
        """How many of ``concepts`` have each concept as a proper ancestor (depth >= 1)."""
        counts: dict[int, int] = {}
        for c in concepts:
            for a, depth in self.closure(c):
                if depth >= 1:
                    counts[a] = counts.get(a, 0) + 1
        return counts

    def to_dict(self) -> dict:
        """JSON-ready form (saved with a training run)."""
        return {"max_depth": self.max_depth,
                "parents": [[k, v] for k, v in sorted(self.parents.items())],
                "equivalents": [[k, v] for k, v in sorted(self.equivalents.items())]}

    @classmethod
    def from_dict(cls, data: dict) -> "ConceptHierarchy":
        """Rebuild from :meth:`to_dict` output."""
        return cls({int(k): [int(x) for x in v] for k, v in data["parents"]},
                   {int(k): [int(x) for x in v] for k, v in data["equivalents"]}, int(data["max_depth"]))
