"""Graph evidence on Neo4j: Cypher ``allShortestPaths`` over the n10s model.

kgft's Neo4j store keeps every IRI as a ``:Resource {uri}`` node, every object
property as a relationship typed by the full predicate IRI and literals as
list-valued node properties keyed by the predicate IRI (``P`` or ``P@lang``).
Source, targets, excluded types and label keys reach Cypher as ``$parameters``;
only the hop bound, validated by :func:`kg.neo4j_store.schema.bounded_hops`, is
part of the query text (Cypher cannot take it as a parameter). Blank nodes are
recognized by the store's own :data:`kg.neo4j_store.encode.BNODE_PREFIX`.
"""

from __future__ import annotations

import logging
from typing import Iterable, Sequence

from core.errors import StoreError
from kg.evidence.paths import EvidencePath, PathPolicy, Step, pick_label
from kg.neo4j_store.schema import bounded_hops
from kg.neo4j_store.encode import BNODE_PREFIX
from kg.store_protocol import LABEL_PREDICATES

logger = logging.getLogger(__name__)

#: Rows fetched at most per search; more shortest paths than this are cut (logged).
ROW_CAP = 10_000

_PATHS = (
    "MATCH (a:Resource {{uri: $source}}) "
    "MATCH (b:Resource) WHERE b.uri IN $targets AND b <> a "
    "MATCH p = allShortestPaths((a)-[*..{hops}]-{arrow}(b)) "
    "WHERE all(r IN relationships(p) WHERE NOT type(r) IN $excluded) "
    "AND all(n IN nodes(p) WHERE NOT n.uri STARTS WITH $bnode AND NOT n.uri IN $avoid) "
    "RETURN [n IN nodes(p) | n.uri] AS nodes, "
    "[r IN relationships(p) | [startNode(r).uri, type(r), endNode(r).uri]] AS rels "
    "LIMIT $cap"
)
_LABELS = (
    "UNWIND $uris AS u MATCH (n:Resource {uri: u}) "
    "RETURN n.uri AS uri, [k IN keys(n) WHERE k IN $preds OR any(p IN $preds WHERE k STARTS WITH p + '@') "
    "| [k, n[k]]] AS vals"
)
_LABELLED = (
    "MATCH (n:Resource) WHERE any(k IN keys(n) WHERE (k IN $preds OR any(p IN $preds WHERE k STARTS WITH p + '@')) "
    "AND any(v IN n[k] WHERE toLower(toString(v)) = toLower($text))) RETURN DISTINCT n.uri AS uri"
)


def _split_key(key: str) -> tuple[str, str | None]:
    for pred in LABEL_PREDICATES:
        if key == pred:
            return pred, None
        if key.startswith(pred + "@"):
            return pred, key[len(pred) + 1 :]
    return key, None


class CypherPathFinder:
    """Shortest paths, labels and label look-ups on Neo4j through Cypher.

    Args:
        run (Callable[[str, dict], list[dict]]): Runs one read query with
            parameters and returns its records as dicts.
    """

    def __init__(self, run) -> None:
        self._run = run

    @classmethod
    def for_store(cls, store) -> "CypherPathFinder":
        """A finder reading through a ``kg.neo4j_store.Neo4jStore`` (its ``run(query, action, read, **params)``).

        Raises:
            StoreError: the store offers no way to run read queries.
        """
        if not callable(getattr(store, "run", None)):
            raise StoreError(f"{type(store).__name__} offers no way to run Cypher queries")

        def run(query: str, params: dict) -> list[dict]:
            return store.run(query, "searching graph evidence", read=True, **params)

        return cls(run)

    def shortest_paths(
        self, source: str, targets: Sequence[str], policy: PathPolicy, avoid: Sequence[str] = ()
    ) -> list[EvidencePath]:
        """Shortest paths from ``source`` to any of ``targets`` not through ``avoid`` (see the SPARQL finder)."""
        goals = sorted(set(targets))
        if not goals or source in goals:
            return []
        query = _PATHS.format(hops=bounded_hops(policy.max_hops), arrow=">" if policy.direction == "forward" else "")
        rows = self._run(
            query,
            {
                "source": source,
                "targets": goals,
                "excluded": list(policy.exclude_predicates),
                "bnode": BNODE_PREFIX,
                "avoid": sorted(set(avoid) - set(goals)),
                "cap": ROW_CAP,
            },
        )
        if len(rows) >= ROW_CAP:
            logger.warning("more than %d shortest paths from %s; the extra ones are ignored", ROW_CAP, source)
        if not rows:
            return []
        best = min(len(r["rels"]) for r in rows)
        paths = set()
        for row in rows:
            if len(row["rels"]) != best:
                continue
            nodes = row["nodes"]
            steps = tuple(
                Step(s, p, o, forward=(s == nodes[i] and o == nodes[i + 1]))
                for i, (s, p, o) in enumerate(row["rels"])
            )
            paths.add(EvidencePath(steps))
        return sorted(paths, key=EvidencePath.sort_key)[: policy.max_paths]

    def labels(self, iris: Iterable[str]) -> dict[str, str]:
        """Preferred labels of the given IRIs (language tags are kept only if the store kept them)."""
        uris = list(dict.fromkeys(iris))
        if not uris:
            return {}
        out: dict[str, str] = {}
        for row in self._run(_LABELS, {"uris": uris, "preds": list(LABEL_PREDICATES)}):
            candidates = []
            for key, values in row["vals"]:
                pred, lang = _split_key(key)
                for v in values if isinstance(values, list) else [values]:
                    candidates.append((pred, str(v), lang))
            label = pick_label(candidates)
            if label is not None:
                out[row["uri"]] = label
        return out

    def concepts_labelled(self, text: str) -> list[str]:
        """IRIs with a label equal to ``text`` ignoring case, sorted."""
        rows = self._run(_LABELLED, {"text": text, "preds": list(LABEL_PREDICATES)})
        return sorted(r["uri"] for r in rows if not r["uri"].startswith(BNODE_PREFIX))
