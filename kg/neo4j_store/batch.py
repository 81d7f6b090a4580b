"""One batch of triples, grouped for ``UNWIND $rows`` writes with MERGE semantics.

A batch groups its triples, deduplicated, per node (``uri -> class IRIs,
{property key: values}``) and per relationship ``(s, predicate, o)``.
:func:`write_batch` writes it in one transaction with MERGE semantics, so a
batch is written entirely or not at all, and running it again changes
nothing:

* one statement merges every node on the indexed ``uri``, adds its class
  labels and appends the literal values not yet in their lists;
* one statement per predicate merges that predicate's relationships.

Every write transaction first locks one node, so kgft writers are
serialized.

Labels and property keys are IRIs taken from the data. They are passed as
``$parameters``, through Cypher's dynamic labels and keys (``SET n:$(x)``,
``SET n[x]``; Neo4j 5.26+), so the node statement text never changes and is
planned once (splicing one label per statement made pizza.owl's ~100 classes
cost a plan each).

Relationship types are the one exception: ``MERGE (s)-[:T]->(o)`` between two
bound nodes is planned as a degree-aware ``Expand(Into)`` (it walks the
low-degree side, so a supernode such as the opinion lexicon's ``Positive``
with thousands of incoming edges costs nothing) only when ``T`` is static. A
dynamic ``$(type)`` pattern is planned as a scan of *all* relationships per
row whenever the statistics say the store is nearly empty (right after a
wipe), which made the 34k-triple lexicon take ~110 s instead of ~1 s. So each
predicate gets its own statement whose type is the predicate IRI, validated
by :func:`kg.neo4j_store.cypher.check_iri` (an absolute IRI has no backtick,
quote, brace, backslash or whitespace) and backtick-quoted with backticks
doubled (:func:`kg.neo4j_store.cypher.quote_token`); node IRIs stay
``$parameters``. A file has few object properties, so the statement texts are
planned once per predicate and then served from the query cache.
All IRIs are validated so that everything stored reads back as well-formed RDF.
"""

from __future__ import annotations

from typing import Iterable

import pyoxigraph as ox
from rdflib import Literal, URIRef

from kg.errors import StoreError
from kg.neo4j_store.cypher import IMPORT_LABEL, KEY_LABEL, LOCK_LABEL, RESOURCE, check_iri, quote_token
from kg.neo4j_store.encode import BNODE_PREFIX, RDF_TYPE, KeyCodec, ox_node_uri, rdflib_node_uri

# Taken first in every write transaction: kgft writers are serialized, so two
# imports never interleave (or deadlock on) each other's node and relationship locks.
_LOCK = f"MERGE (l:{LOCK_LABEL} {{name: 'writer'}}) SET l.at = timestamp()"
_REGISTER_KEYS = (
    f"UNWIND $keys AS k MERGE (r:{KEY_LABEL} {{key: k.key}}) "
    "ON CREATE SET r.predicate = k.predicate, r.datatype = k.datatype, r.lang = k.lang"
)
_UPSERT_NODES = (
    f"UNWIND $rows AS row MERGE (n:{RESOURCE} {{uri: row[0]}}) SET n:$(row[1]) "
    "WITH n, row UNWIND row[2] AS kv "
    "WITH n, kv[0] AS key, coalesce(n[kv[0]], []) AS old, kv[1] AS vals "
    "WITH n, key, old, [v IN vals WHERE NOT v IN old] AS new WHERE size(new) > 0 "
    "SET n[key] = old + new RETURN sum(size(new)) AS added"
)
# One statement per relationship type (see the module docstring): MERGE between
# two nodes found by the unique index is a LockingMerge over Expand(Into).
_MERGE_RELS = (
    f"UNWIND $rows AS row MATCH (s:{RESOURCE} {{uri: row[0]}}) MATCH (o:{RESOURCE} {{uri: row[1]}}) "
    "MERGE (s)-[:{rel_type}]->(o)"
)
_CHECKPOINT = (
    f"MATCH (r:{IMPORT_LABEL} {{sha256: $sha256}}) "
    "SET r.batches_done = $batches_done, r.triples_added = r.triples_added + $added, r.updated = datetime() "
    "RETURN r.path AS path"
)


class Batch:
    """Triples grouped per node and per relationship, deduplicated.

    Args:
        codec (KeyCodec): Maps literal predicates/datatypes/tags to property keys.
    """

    def __init__(self, codec: KeyCodec) -> None:
        self.codec = codec
        self.size = 0
        # uri -> (set of class IRIs, {property key: set of values})
        self.nodes: dict[str, tuple[set, dict]] = {}
        # predicate -> {(subject uri, object uri)}
        self.rels: dict[str, set[tuple[str, str]]] = {}
        self._checked: set[str] = set()

    def __len__(self) -> int:
        return self.size

    def _node(self, uri: str) -> tuple[set, dict]:
        entry = self.nodes.get(uri)
        if entry is None:
            entry = self.nodes[uri] = (set(), {})
        return entry

    def _check(self, iri: str, role: str) -> str:
        if iri not in self._checked:
            check_iri(iri, role)
            self._checked.add(iri)
        return iri

    def add_ox(self, triples: Iterable, limit: int) -> int:
        """Add up to ``limit`` pyoxigraph triples or quads (graph names ignored).

        Returns:
            int: How many were taken from ``triples`` (fewer than ``limit`` at its end).
        """
        named, literal = ox.NamedNode, ox.Literal
        node, key, checked = self._node, self.codec.key, self._checked
        rels = self.rels
        taken = 0
        for triple in triples:
            subject = triple.subject
            s = subject.value if type(subject) is named else ox_node_uri(subject)
            p = triple.predicate.value
            if p not in checked:
                self._check(p, "predicate")
            o = triple.object
            kind = type(o)
            if kind is literal:
                values = node(s)[1]
                k = key(p, o.datatype.value, o.language)
                vals = values.get(k)
                if vals is None:
                    vals = values[k] = set()
                vals.add(o.value)
            elif kind is named and p == RDF_TYPE and not o.value.startswith(BNODE_PREFIX):
                node(s)[0].add(self._check(o.value, "class"))
            else:
                ou = o.value if kind is named else ox_node_uri(o)
                node(s)
                node(ou)
                pairs = rels.get(p)
                if pairs is None:
                    pairs = rels[p] = set()
                pairs.add((s, ou))
            taken += 1
            if taken >= limit:
                break
        self.size += taken
        return taken

    def add_rdflib(self, s, p, o) -> None:
        """Add a triple of rdflib terms."""
        su = rdflib_node_uri(s)
        pred = self._check(str(p), "predicate")
        if isinstance(o, Literal):
            dt = str(o.datatype) if o.datatype is not None else None
            self._node(su)[1].setdefault(self.codec.key(pred, dt, o.language), set()).add(str(o))
        elif pred == RDF_TYPE and isinstance(o, URIRef) and not str(o).startswith(BNODE_PREFIX):
            self._node(su)[0].add(self._check(str(o), "class"))
        else:
            ou = rdflib_node_uri(o)
            self._node(su)
            self._node(ou)
            self.rels.setdefault(pred, set()).add((su, ou))
        self.size += 1

    def keys_used(self) -> set[str]:
        """The literal property keys this batch writes."""
        return {k for _, values in self.nodes.values() for k in values}



def write_batch(tx, batch: Batch, keys: dict, checkpoint: dict | None = None) -> int:
    """Write a batch inside transaction ``tx``; returns how many triples were new.

    Args:
        tx: A ``neo4j`` managed transaction.
        batch (Batch): The grouped triples.
        keys (dict): The literal property keys the batch uses, ``key -> KeyInfo``;
            merged into the ``_KgftKey`` registry in the same transaction.
        checkpoint (dict, optional): ``{"sha256": ..., "batches_done": n}``: also
            advance that file's import record in the same transaction. (default: ``None``)

    Returns:
        int: Triples new to the store (labels added, literal values appended,
        relationships created).
    """
    tx.run(_LOCK).consume()
    if keys:
        rows = [{"key": k, "predicate": i.predicate, "datatype": i.datatype, "lang": i.lang} for k, i in keys.items()]
        tx.run(_REGISTER_KEYS, keys=rows).consume()
    added = 0
    if batch.nodes:
        rows = [
            [uri, list(classes), [[k, list(v)] for k, v in values.items()]]
            for uri, (classes, values) in batch.nodes.items()
        ]
        result = tx.run(_UPSERT_NODES, rows=rows)
        record = result.single()
        added += (record["added"] or 0) if record else 0
        counters = result.consume().counters
        added += counters.labels_added - counters.nodes_created  # a new node also gets :Resource
    for predicate, pairs in batch.rels.items():
        query = _MERGE_RELS.replace("{rel_type}", quote_token(predicate, "predicate"))
        added += tx.run(query, rows=list(pairs)).consume().counters.relationships_created
    if checkpoint is not None and tx.run(_CHECKPOINT, added=added, **checkpoint).single() is None:
        # Raised inside the transaction function: the batch is rolled back.
        raise StoreError(
            "the import record vanished while importing: the database was cleared by someone else",
            hint="import the file again",
        )
    return added
