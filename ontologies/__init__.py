"""Ontologies shipped with kgft (small, hand-made fixtures and mappings)."""
