"""Read queries over the n10s model: triples, counts, labels, stats.

Every function takes an open ``neo4j`` session (or transaction) and the
property-key registry (``key -> KeyInfo``) and passes all values as
``$parameters``. ``prefixes`` optionally restricts the result to triples whose
subject ``uri`` starts with one of the given strings (a namespace, or
``bnode://k<scope>`` for one file's blank nodes).

Triples represented by the graph, each counted once:

* one per relationship (object properties, ``rdf:type`` to blank nodes);
* one per element of a registered literal property (lists hold distinct values);
* one per node label other than ``Resource`` (``rdf:type`` to a class IRI).
"""

from __future__ import annotations

from typing import Iterator, Sequence

from kg.neo4j_store.schema import KEY_LABEL, RESOURCE
from kg.neo4j_store.encode import BNODE_PREFIX, RDF_TYPE, KeyInfo, to_literal, to_term



def _subjects(var: str, prefixes: Sequence[str] | None) -> str:
    """``MATCH`` the subject nodes: all, or those under the prefixes (an index-backed prefix seek)."""
    if not prefixes:
        return f"MATCH ({var}:{RESOURCE})"
    return f"UNWIND $prefixes AS prefix MATCH ({var}:{RESOURCE}) WHERE {var}.uri STARTS WITH prefix WITH DISTINCT {var}"


def load_keys(session) -> dict[str, KeyInfo]:
    """The registry of literal property keys kgft wrote: ``key -> KeyInfo``."""
    result = session.run(f"MATCH (k:{KEY_LABEL}) RETURN k.key AS key, k.predicate AS p, k.datatype AS d, k.lang AS l")
    return {r["key"]: KeyInfo(r["p"], r["d"], r["l"]) for r in result}


def iter_triples(session, keys: dict[str, KeyInfo], prefixes: Sequence[str] | None = None) -> Iterator[tuple]:
    """Every triple as rdflib terms: labels and literal values first, then relationships."""
    from rdflib import URIRef

    rdf_type = URIRef(RDF_TYPE)
    nodes = session.run(
        f"{_subjects('n', prefixes)} "
        "RETURN n.uri AS uri, labels(n) AS labels, "
        "[k IN keys(n) WHERE k IN $keys | [k, n[k]]] AS props",
        prefixes=list(prefixes) if prefixes else None,
        keys=list(keys),
    )
    for rec in nodes:
        subject = to_term(rec["uri"])
        for label in rec["labels"]:
            if label != RESOURCE:
                yield subject, rdf_type, URIRef(label)
        for key, values in rec["props"]:
            info = keys[key]
            predicate = URIRef(info.predicate)
            for value in values if isinstance(values, list) else [values]:
                yield subject, predicate, to_literal(value, info)
    rels = session.run(
        f"{_subjects('s', prefixes)} MATCH (s)-[r]->(o:{RESOURCE}) "
        "RETURN s.uri AS s, type(r) AS p, o.uri AS o",
        prefixes=list(prefixes) if prefixes else None,
    )
    for rec in rels:
        yield to_term(rec["s"]), URIRef(rec["p"]), to_term(rec["o"])


def count(session, keys: dict[str, KeyInfo], prefixes: Sequence[str] | None = None) -> int:
    """Number of triples the graph represents (see the module docstring)."""
    params = {"prefixes": list(prefixes) if prefixes else None, "keys": list(keys)}
    if prefixes:
        rels = session.run(
            f"{_subjects('s', prefixes)} MATCH (s)-[r]->(:{RESOURCE}) RETURN count(r) AS n",
            **params,
        ).single()["n"]
    else:  # answered from the count store
        rels = session.run("MATCH ()-[r]->() RETURN count(r) AS n").single()["n"]
    rec = session.run(
        f"{_subjects('n', prefixes)} "
        "RETURN sum(size(labels(n)) - 1) AS types, "
        "sum(reduce(acc = 0, k IN keys(n) | acc + CASE WHEN k IN $keys THEN size(n[k]) ELSE 0 END)) AS values",
        **params,
    ).single()
    return int(rels) + int(rec["types"] or 0) + int(rec["values"] or 0)


def iter_labels(session, keys: dict[str, KeyInfo], label_predicates: Sequence[str]) -> Iterator[tuple[str, str, str]]:
    """``(entity_iri, predicate_iri, text)`` for label/synonym literals of IRIs (blank nodes skipped)."""
    wanted = {k: i.predicate for k, i in keys.items() if i.predicate in label_predicates}
    if not wanted:
        return
    result = session.run(
        f"MATCH (n:{RESOURCE}) WHERE NOT n.uri STARTS WITH $bnode "
        "UNWIND [k IN keys(n) WHERE k IN $keys] AS k UNWIND n[k] AS v RETURN n.uri AS uri, k AS key, v AS value",
        bnode=BNODE_PREFIX,
        keys=list(wanted),
    )
    for rec in result:
        yield rec["uri"], wanted[rec["key"]], rec["value"]


def _count_nodes(session, where: str, **params) -> int:
    query = f"MATCH (n:{RESOURCE}) WHERE NOT n.uri STARTS WITH $bnode AND ({where}) RETURN count(n) AS n"
    return int(session.run(query, bnode=BNODE_PREFIX, **params).single()["n"])


def stats(session, keys: dict[str, KeyInfo]) -> dict:
    """Counts with the definitions of :mod:`kg.graph_stats`."""
    from kg.graph_stats import CLASS_TYPES, NAMED_INDIVIDUAL, PROPERTY_TYPES, SCHEMA_NAMESPACES
    from kg.store_protocol import LABEL_PREDICATES

    predicates: dict[str, int] = {}
    for rec in session.run("MATCH ()-[r]->() RETURN type(r) AS p, count(r) AS n"):
        predicates[rec["p"]] = predicates.get(rec["p"], 0) + int(rec["n"])
    types = session.run(f"MATCH (n:{RESOURCE}) RETURN sum(size(labels(n)) - 1) AS n").single()["n"]
    if types:
        predicates[RDF_TYPE] = predicates.get(RDF_TYPE, 0) + int(types)
    for rec in session.run(
        f"MATCH (n:{RESOURCE}) UNWIND [k IN keys(n) WHERE k IN $keys] AS k RETURN k, sum(size(n[k])) AS n",
        keys=list(keys),
    ):
        predicate = keys[rec["k"]].predicate
        predicates[predicate] = predicates.get(predicate, 0) + int(rec["n"])
    label_keys = [k for k, i in keys.items() if i.predicate in LABEL_PREDICATES]
    return {
        "triples": sum(predicates.values()),
        "classes": _count_nodes(session, "any(l IN labels(n) WHERE l IN $types)", types=list(CLASS_TYPES)),
        "individuals": _count_nodes(
            session,
            "any(l IN labels(n) WHERE l = $named OR (l <> $resource AND none(ns IN $schema WHERE l STARTS WITH ns)))",
            named=NAMED_INDIVIDUAL,
            resource=RESOURCE,
            schema=list(SCHEMA_NAMESPACES),
        ),
        "properties": _count_nodes(session, "any(l IN labels(n) WHERE l IN $types)", types=list(PROPERTY_TYPES)),
        "labelled": _count_nodes(session, "any(k IN keys(n) WHERE k IN $keys)", keys=label_keys),
        "predicates": dict(sorted(predicates.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
