"""Which path finder searches a store: SPARQL on the embedded store, Cypher on Neo4j.

Both finders answer the same three questions (see :class:`PathFinder`) and give
the same paths for the same graph; :func:`path_finder` picks the one for an
open store.
"""

from __future__ import annotations

from typing import Iterable, Protocol, Sequence

from core.errors import ConfigError
from kg.evidence.neo4j_paths import CypherPathFinder
from kg.evidence.paths import EvidencePath, PathPolicy
from kg.evidence.embedded_paths import SparqlPathFinder


class PathFinder(Protocol):
    """What a store-specific path finder offers."""

    def shortest_paths(
        self, source: str, targets: Sequence[str], policy: PathPolicy, avoid: Sequence[str] = ()
    ) -> list[EvidencePath]:
        """Shortest paths from ``source`` to any of ``targets`` not passing through ``avoid``."""
        ...

    def labels(self, iris: Iterable[str]) -> dict[str, str]:
        """Display labels of the given IRIs (those that have one)."""
        ...

    def concepts_labelled(self, text: str) -> list[str]:
        """IRIs whose label equals ``text`` (case-insensitive)."""
        ...


def path_finder(store) -> PathFinder:
    """The path finder for an open store (embedded rdflib store or Neo4j).

    Args:
        store (kg.store_protocol.Store): An open store.

    Returns:
        PathFinder: SPARQL-based for the embedded store, Cypher-based for Neo4j.

    Raises:
        ConfigError: a store kind kgft cannot search.
    """
    if type(store).__name__ == "Neo4jStore":
        return CypherPathFinder.for_store(store)
    graph = getattr(store, "graph", None)
    if graph is not None and hasattr(graph, "query"):
        return SparqlPathFinder(graph)
    raise ConfigError(f"cannot search graph evidence in a {type(store).__name__}")
