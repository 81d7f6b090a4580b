"""kgft knowledge-graph layer: ontology import, stores, linking, queries."""
