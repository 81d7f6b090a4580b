"""What ``kgft ontology stats`` counts, defined once for both stores.

Definitions (:meth:`kg.embedded.EmbeddedStore.stats` counts them with SPARQL,
:func:`kg.neo4j_store.reader.stats` with Cypher):

- ``triples``: all triples;
- ``classes``: IRIs typed ``owl:Class`` or ``rdfs:Class``;
- ``individuals``: IRIs typed ``owl:NamedIndividual`` or with a type outside
  the RDF/RDFS/OWL namespaces (e.g. ``skos:Concept`` instances);
- ``properties``: IRIs typed ``rdf:Property``, ``owl:ObjectProperty``,
  ``owl:DatatypeProperty`` or ``owl:AnnotationProperty``;
- ``labelled``: IRIs with at least one label/synonym literal
  (:data:`kg.store_protocol.LABEL_PREDICATES`);
- ``predicates``: ``{predicate IRI: triple count}``, most used first.
"""

from __future__ import annotations

from typing import Callable, Iterable

from kg.convert.namespaces import OWL, RDF, RDFS
from kg.store_protocol import LABEL_PREDICATES

CLASS_TYPES = (OWL + "Class", RDFS + "Class")
PROPERTY_TYPES = (
    RDF + "Property",
    OWL + "ObjectProperty",
    OWL + "DatatypeProperty",
    OWL + "AnnotationProperty",
)
SCHEMA_NAMESPACES = (RDF, RDFS, OWL)
NAMED_INDIVIDUAL = OWL + "NamedIndividual"


def _values(iris: Iterable[str]) -> str:
    return " ".join(f"<{iri}>" for iri in iris)


def sparql_stats(select: Callable, triples: int) -> dict:
    """The counts of a graph queried with SPARQL.

    Args:
        select (Callable): Runs a SPARQL SELECT, returns rows of ``{variable: term}`` (pyoxigraph's solutions).
        triples (int): The graph's triple count.
    """

    def distinct(where: str) -> int:
        rows = list(select(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} FILTER(isIRI(?x)) }}"))
        return int(rows[0]["n"].value) if rows else 0

    schema_filter = " && ".join(f'!STRSTARTS(STR(?t), "{ns}")' for ns in SCHEMA_NAMESPACES)
    predicates = {row["p"].value: int(row["n"].value)
                  for row in select("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")}
    return {
        "triples": triples,
        "classes": distinct(f"VALUES ?t {{ {_values(CLASS_TYPES)} }} ?x a ?t ."),
        "individuals": distinct(f"?x a ?t . FILTER(?t = <{NAMED_INDIVIDUAL}> || ({schema_filter}))"),
        "properties": distinct(f"VALUES ?t {{ {_values(PROPERTY_TYPES)} }} ?x a ?t ."),
        "labelled": distinct(f"VALUES ?p {{ {_values(LABEL_PREDICATES)} }} ?x ?p ?l . FILTER(isLiteral(?l))"),
        "predicates": dict(sorted(predicates.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
