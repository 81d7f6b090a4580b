"""The Neo4j store (n10s property-graph model over Bolt)."""

from kg.neo4j_store.store import DEFAULT_BATCH_SIZE, Neo4jStore

__all__ = ["DEFAULT_BATCH_SIZE", "Neo4jStore"]
