"""Entity linking: dictionary matching of ontology labels in text, and coverage."""

from kg.linking.coverage import CoverageReport, coverage
from kg.linking.linker import EntityLinker, Mention, TokenMention

__all__ = ["CoverageReport", "EntityLinker", "Mention", "TokenMention", "coverage"]
