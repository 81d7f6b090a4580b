"""The IRIs kgft's converters mint (stable: changing them changes every entity id).

- ``https://w3id.org/kgft/vocab#``: kgft's own properties (``treeNumber``, ``polarity``).
- ``http://id.nlm.nih.gov/mesh/2017/D000001``: MeSH descriptors, NLM's own 2017 IRIs.
- ``https://w3id.org/kgft/mesh/category/C``: the 16 MeSH top-level categories
  (``C`` = "Diseases"), which NLM does not publish as descriptors.
- ``https://w3id.org/kgft/opinion-lexicon/word/<word>``: lexicon words
  (percent-encoded), ``.../Positive`` and ``.../Negative``: polarity concepts.
- ``https://w3id.org/kgft/kg/<dataset>/entity/<name>`` and ``.../relation/<name>``:
  entities and relations of a head/relation/tail TSV knowledge graph
  (``<dataset>`` is the source directory's or file's name, e.g. ``wn18rr``).
"""

from __future__ import annotations

from urllib.parse import quote

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
KGFT = "https://w3id.org/kgft/vocab#"
MESH = "http://id.nlm.nih.gov/mesh/2017/"
MESH_CATEGORY = "https://w3id.org/kgft/mesh/category/"
LEXICON = "https://w3id.org/kgft/opinion-lexicon/"
KG = "https://w3id.org/kgft/kg/"

PREFIXES: dict[str, str] = {
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "kgft": KGFT,
}


def iri_segment(text: str) -> str:
    """``text`` percent-encoded so that it is one safe IRI path segment."""
    return quote(text, safe="-._~")
