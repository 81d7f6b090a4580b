"""Removing the triples of one :class:`~kg.neo4j_store.batch.Batch` in one transaction: the inverse of
:func:`kg.neo4j_store.write.write_batch`.

A relationship is deleted, a class label removed, a literal value taken out
of its list (the property goes when its list is empty); a node left with
nothing (no class, value or edge) is deleted, as it then states no triple.
Triples the graph does not hold are ignored. Every value, label and key is a
``$parameter``; relationship types are compared with ``type(r)``, so no
statement text depends on the data.
"""

from __future__ import annotations

from kg.neo4j_store.batch import Batch
from kg.neo4j_store.schema import RESOURCE
from kg.neo4j_store.write import lock_writer

_RELS = (
    f"UNWIND $rows AS row MATCH (s:{RESOURCE} {{uri: row[0]}})-[r]->(o:{RESOURCE} {{uri: row[2]}}) "
    "WHERE type(r) = row[1] DELETE r"
)
_CLASSES = f"UNWIND $rows AS row MATCH (n:{RESOURCE} {{uri: row[0]}}) REMOVE n:$(row[1])"
_VALUES = (
    f"UNWIND $rows AS row MATCH (n:{RESOURCE} {{uri: row[0]}}) UNWIND keys(row[2]) AS key "
    "WITH n, key, [v IN coalesce(n[key], []) WHERE NOT v IN row[2][key]] AS left "
    "SET n[key] = CASE WHEN size(left) = 0 THEN null ELSE left END"
)
_EMPTY_NODES = (
    f"UNWIND $uris AS uri MATCH (n:{RESOURCE} {{uri: uri}}) "
    "WHERE size(labels(n)) = 1 AND keys(n) = ['uri'] AND NOT EXISTS { (n)--() } DELETE n"
)


def remove_batch(tx, batch: Batch) -> None:
    """Remove the triples of ``batch`` inside transaction ``tx`` (taking the kgft writer lock first).

    Args:
        tx: A ``neo4j`` managed transaction.
        batch (Batch): The triples, grouped as for writing.
    """
    lock_writer(tx)
    rels = [[s, p, o] for p, pairs in batch.rels.items() for s, o in sorted(pairs)]
    classes = [row for row in batch.nodes.values() if row[1]]  # rows [uri, [class IRI, ...], {key: [value, ...]}]
    values = [row for row in batch.nodes.values() if row[2]]
    for query, rows in ((_RELS, rels), (_CLASSES, classes), (_VALUES, values)):
        if rows:
            tx.run(query, rows=rows).consume()
    if batch.nodes:
        tx.run(_EMPTY_NODES, uris=list(batch.nodes)).consume()
