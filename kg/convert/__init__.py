"""Converters from shipped terminologies to RDF (Turtle)."""

from kg.convert.lexicon import convert_opinion_lexicon
from kg.convert.mesh import convert_mesh_tree
from kg.convert.tsv import convert_triples_tsv
from kg.convert.writer import ConvertResult

__all__ = ["ConvertResult", "convert_mesh_tree", "convert_opinion_lexicon", "convert_triples_tsv"]
