"""Graph evidence on the embedded store: breadth-first search by parameterized SPARQL.

Every step of the search is one SPARQL query with the node bound through
``initBindings`` (Oxigraph substitutes it; nothing user-supplied is pasted into
query text). The search keeps parent links so that every shortest path can be
rebuilt and ordered independently of the store.
"""

from __future__ import annotations

import logging
from typing import Iterable, Sequence

from rdflib import Literal, URIRef

from kg.evidence.paths import EvidencePath, PathPolicy, Step, enumerate_shortest, pick_label
from kg.store_protocol import LABEL_PREDICATES

logger = logging.getLogger(__name__)

_VALUES_LABELS = " ".join(f"<{p}>" for p in LABEL_PREDICATES)
# ?n is projected because Oxigraph substitutes only projected variables.
_OUT_QUERY = "SELECT ?n ?p ?m WHERE { ?n ?p ?m . FILTER(isIRI(?m)) }"
_IN_QUERY = "SELECT ?n ?p ?m WHERE { ?m ?p ?n . FILTER(isIRI(?m)) }"
_LABEL_QUERY = "SELECT ?x ?p ?l WHERE { VALUES ?p { %s } ?x ?p ?l . FILTER(isLiteral(?l)) }" % _VALUES_LABELS
_LABELLED_QUERY = (
    "SELECT DISTINCT ?name ?x WHERE { VALUES ?p { %s } ?x ?p ?l . "
    "FILTER(isIRI(?x) && lcase(str(?l)) = lcase(str(?name))) }" % _VALUES_LABELS
)


class SparqlPathFinder:
    """Shortest paths, labels and label look-ups on an rdflib graph through SPARQL.

    Args:
        graph (rdflib.Graph): The graph (kgft's embedded store keeps it on Oxigraph).
    """

    def __init__(self, graph) -> None:
        self.graph = graph

    def _steps(self, node: str, direction: str) -> list[Step]:
        bound = {"n": URIRef(node)}
        steps = [Step(node, str(p), str(m), True) for _, p, m in self.graph.query(_OUT_QUERY, initBindings=bound)]
        if direction == "any":
            steps += [Step(str(m), str(p), node, False) for _, p, m in self.graph.query(_IN_QUERY, initBindings=bound)]
        return steps

    def shortest_paths(
        self, source: str, targets: Sequence[str], policy: PathPolicy, avoid: Sequence[str] = ()
    ) -> list[EvidencePath]:
        """Shortest paths from ``source`` to any of ``targets``.

        Args:
            source (str): Start IRI.
            targets (Sequence[str]): Goal IRIs.
            policy (PathPolicy): Direction, exclusions and limits.
            avoid (Sequence[str]): Nodes a path may not pass through (e.g. the
                concepts of the other classes). (default: ``()``)

        Returns:
            list[EvidencePath]: The paths of minimal length (at most ``policy.max_paths``,
            in :meth:`EvidencePath.sort_key` order); empty when none is within
            ``policy.max_hops`` or ``source`` is itself a target.
        """
        goals = set(targets)
        if not goals or source in goals:
            return []
        excluded = set(policy.exclude_predicates)
        blocked = set(avoid) - goals
        depth = {source: 0}
        parents: dict[str, list[Step]] = {}
        frontier = [source]
        for d in range(1, policy.max_hops + 1):
            layer: list[str] = []
            for node in frontier:
                for step in self._steps(node, policy.direction):
                    nxt = step.end
                    if step.predicate in excluded or nxt == node or nxt in blocked:
                        continue
                    seen = depth.get(nxt)
                    if seen is None:
                        depth[nxt] = d
                        parents[nxt] = [step]
                        layer.append(nxt)
                    elif seen == d:
                        parents[nxt].append(step)
            reached = sorted(t for t in goals if depth.get(t) == d)
            if reached:
                return enumerate_shortest(parents, source, reached, policy.max_paths)
            if not layer:
                return []
            if len(depth) > policy.max_nodes:
                logger.warning("path search from %s stopped after %d nodes (max_nodes)", source, len(depth))
                return []
            frontier = layer
        return []

    def labels(self, iris: Iterable[str]) -> dict[str, str]:
        """Preferred labels (see :func:`kg.evidence.paths.pick_label`) of the given IRIs."""
        out: dict[str, str] = {}
        for iri in dict.fromkeys(iris):
            rows = self.graph.query(_LABEL_QUERY, initBindings={"x": URIRef(iri)})
            label = pick_label((str(p), str(lit), lit.language) for _, p, lit in rows if isinstance(lit, Literal))
            if label is not None:
                out[iri] = label
        return out

    def concepts_labelled(self, text: str) -> list[str]:
        """IRIs with a label equal to ``text`` ignoring case, sorted."""
        rows = self.graph.query(_LABELLED_QUERY, initBindings={"name": Literal(text)})
        return sorted({str(x) for _, x in rows})
