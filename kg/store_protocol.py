"""The ``Store`` protocol shared by the embedded rdflib store and Neo4j.

Both stores hold the same RDF graph and answer the same questions, so every
later stage (embeddings, linking, explanations) works on either. Terms cross
this interface as rdflib terms (``URIRef``, ``BNode``, ``Literal``); each
store is free to use a faster representation inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Protocol, runtime_checkable

# Predicates whose literal objects name an entity (labels and synonyms).
LABEL_PREDICATES: tuple[str, ...] = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2004/02/skos/core#altLabel",
    "http://www.w3.org/2004/02/skos/core#hiddenLabel",
    "http://www.geneontology.org/formats/oboInOwl#hasExactSynonym",
    "http://www.geneontology.org/formats/oboInOwl#hasRelatedSynonym",
    "http://www.geneontology.org/formats/oboInOwl#hasBroadSynonym",
    "http://www.geneontology.org/formats/oboInOwl#hasNarrowSynonym",
    "http://www.geneontology.org/formats/oboInOwl#hasSynonym",
)


@dataclass
class ImportResult:
    """What one file's import did.

    Args:
        path (str): The file imported.
        format (str): The RDF format used (``turtle``, ``nt``, ...).
        triples_read (int): Triples the parser produced.
        triples_added (int): Triples new to the store (0 on a re-import).
        seconds (float): Wall time.
    """

    path: str
    format: str
    triples_read: int
    triples_added: int
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


@runtime_checkable
class Store(Protocol):
    """A graph store kgft can import into, read from and query.

    Implementations: ``kg.embedded.EmbeddedStore`` (rdflib + Oxigraph on
    disk) and ``kg.neo4j_store.Neo4jStore`` (a real Neo4j server, n10s model).
    """

    def import_file(self, path: Path, format: str | None = None, base_iri: str | None = None) -> ImportResult:
        """Import one RDF file, all-or-nothing; re-importing adds nothing (``base_iri``: base of relative IRIs)."""
        ...

    def add_triples(self, triples: Iterable[tuple], source: str = "") -> int:
        """Add rdflib-term triples in batches; returns how many were new."""
        ...

    def triples(self) -> Iterator[tuple]:
        """Iterate every triple as rdflib terms ``(s, p, o)``."""
        ...

    def count(self) -> int:
        """Number of triples in the store."""
        ...

    def labels(self) -> Iterator[tuple[str, str, str]]:
        """Iterate ``(entity_iri, predicate_iri, label_text)`` for labels and synonyms."""
        ...

    def stats(self) -> dict:
        """Counts: ``triples``, ``classes``, ``individuals``, ``properties``, ``labelled``, ``predicates``."""
        ...

    def close(self) -> None:
        """Release files or connections."""
        ...
