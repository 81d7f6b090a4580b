"""Writing one :class:`~kg.neo4j_store.batch.Batch` in one transaction, with MERGE semantics.

:func:`write_batch` first locks the writer node (kgft writers are
serialized), registers the batch's literal property keys and, last, advances
the file's checkpoint, all in the same transaction, so a batch is committed
with its checkpoint or not at all. Running a batch again changes nothing.
The nodes and relationships go one of two ways, which give the same graph
and the same ``added`` count (the tests compare them):

* **fresh path** (the default). One statement looks every node of the batch
  up on the indexed ``uri`` and returns its element id, or ``''``. The
  missing ones are created (``CREATE`` with their class labels and literal
  lists, no per-value checks); the ones found get their labels added and
  their literal values appended unless already there, by element id. A
  relationship with an endpoint created in this transaction cannot exist
  yet, so it is created; the others are merged. Endpoints are found by
  element id (a direct record read), never by a second index seek, so the
  server needs less CPU time than on the merge path (BENCHMARKS.md).
* **merge path** (the fallback). Every node is ``MERGE``\\ d on ``uri`` and
  every relationship merged. The lookup takes no locks, so a writer that is
  not kgft may create a looked-up node (the ``CREATE`` then violates the
  uniqueness constraint) or delete one (a statement then matches fewer rows
  than it was sent, which :class:`ConcurrentChange` reports) before this
  transaction locks it. Either rolls the transaction back, and
  :meth:`~kg.neo4j_store.store.Neo4jStore.write_batch` writes the batch
  again this way.

Element ids come back from ``collect`` in the order of the ``UNWIND``\\ ed
rows: Neo4j runs these statements as one single-threaded pipeline that keeps
row order; the count is checked.

Labels and property keys are IRIs taken from the data. They are passed as
``$parameters``, through Cypher's dynamic labels and keys (``:$(x)``,
``n[x]``; Neo4j 5.26+), so the node statement texts never change and are
planned once (splicing one label per statement made pizza.owl's ~100 classes
cost a plan each).

Relationship types are the one exception: ``MERGE (s)-[:T]->(o)`` between two
bound nodes is planned as a degree-aware ``Expand(Into)`` (it walks the
low-degree side, so a supernode such as the opinion lexicon's ``Positive``
with thousands of incoming edges costs nothing) only when ``T`` is static. A
dynamic ``$(type)`` pattern is planned as a scan of *all* relationships per
row whenever the statistics say the store is nearly empty (right after a
wipe), which made the 34k-triple lexicon take ~110 s instead of ~1 s. So each
predicate gets its own statements whose type is the predicate IRI, validated
by :func:`kg.neo4j_store.schema.check_iri` (an absolute IRI has no backtick,
quote, brace, backslash or whitespace) and backtick-quoted with backticks
doubled (:func:`kg.neo4j_store.schema.quote_token`); node IRIs, element ids
and values stay ``$parameters``. A file has few object properties, so the
statement texts are planned once per predicate and then served from the
query cache.
"""

from __future__ import annotations

from core.errors import StoreError
from kg.neo4j_store.batch import Batch
from kg.neo4j_store.schema import (
    IMPORT_LABEL,
    KEY_LABEL,
    LOCK_LABEL,
    RESOURCE,
    quote_token,
)

# Taken first in every write transaction: kgft writers are serialized, so two
# imports never interleave (or deadlock on) each other's node and relationship locks.
LOCK = f"MERGE (l:{LOCK_LABEL} {{name: 'writer'}}) SET l.at = timestamp()"
_REGISTER_KEYS = (
    f"UNWIND $keys AS k MERGE (r:{KEY_LABEL} {{key: k.key}}) "
    "ON CREATE SET r.predicate = k.predicate, r.datatype = k.datatype, r.lang = k.lang"
)
# Adds the labels row[1] and appends the values of each list of the map row[2]
# (property key -> values) that the node's list lacks; `added` counts them.
_APPEND = (
    "SET n:$(row[1]) WITH n, row CALL (n, row) { UNWIND keys(row[2]) AS key "
    "WITH n, key, coalesce(n[key], []) AS old, row[2][key] AS vals "
    "WITH n, key, old, [v IN vals WHERE NOT v IN old] AS new WHERE size(new) > 0 "
    "SET n[key] = old + new RETURN sum(size(new)) AS added } "
)

# Every statement run through _single returns how many rows it processed.
_IDS = "RETURN collect(elementId(n)) AS ids, count(*) AS rows"
# ---- fresh path
_LOOKUP = (
    f"UNWIND $uris AS uri OPTIONAL MATCH (n:{RESOURCE} {{uri: uri}}) "
    "RETURN collect(coalesce(elementId(n), '')) AS ids, count(*) AS rows"
)
_CREATE_NODES = f"UNWIND $rows AS row CREATE (n:{RESOURCE}:$(row[1]) {{uri: row[0]}}) SET n += row[2] {_IDS}"
_CREATE_BARE_NODES = f"UNWIND $uris AS uri CREATE (n:{RESOURCE} {{uri: uri}}) {_IDS}"
_APPEND_BY_ID = (
    f"UNWIND $rows AS row MATCH (n) WHERE elementId(n) = row[0] {_APPEND}RETURN count(*) AS rows, sum(added) AS added"
)

# ---- merge path
_UPSERT_NODES = f"UNWIND $rows AS row MERGE (n:{RESOURCE} {{uri: row[0]}}) {_APPEND}{_IDS}, sum(added) AS added"
_MERGE_BARE_NODES = f"UNWIND $uris AS uri MERGE (n:{RESOURCE} {{uri: uri}}) {_IDS}"

# ---- relationships, one statement per type and operation (see the module docstring)
_RELS = (
    "UNWIND $rows AS row MATCH (s) WHERE elementId(s) = row[0] MATCH (o) WHERE elementId(o) = row[1] "
    "{op} (s)-[:{rel_type}]->(o) RETURN count(*) AS rows"
)
_MERGE_RELS = _RELS.replace("{op}", "MERGE")
_CREATE_RELS = _RELS.replace("{op}", "CREATE")

def checkpoint_clause(added: str) -> str:
    """``MATCH``/``SET`` advancing a file's import record by ``added`` (a ``$parameter`` or a variable)."""
    return (
        f"MATCH (r:{IMPORT_LABEL} {{sha256: $sha256}}) "
        f"SET r.batches_done = $batches_done, r.triples_added = r.triples_added + {added}, r.updated = datetime() "
    )


_CHECKPOINT = checkpoint_clause("$added") + "RETURN r.path AS path"


#: The error when a file's import record is deleted while the file is imported.
MISSING_RECORD = "the import record vanished while importing: the database was cleared by someone else"


class _Rows(list):
    """A parameter list whose ``repr`` is short.

    The driver (neo4j 6.4) formats every RUN message for its debug log with
    ``repr`` of all parameters even when debug logging is off, a visible share
    of the client's CPU time on large imports (cProfile). Packed like a list.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"


class ConcurrentChange(Exception):
    """A node the fresh path looked up vanished before this transaction used it.

    Raised inside the transaction function (so the batch is rolled back) and
    handled by writing the batch again on the merge path; never shown to users.
    """


def _single(tx, query: str, expected: int, **params: list):
    """Run ``query`` on list parameters; returns ``(record, counters)``.

    Raises:
        ConcurrentChange: it processed fewer rows than the ``expected`` ones sent.
    """
    result = tx.run(query, **{name: _Rows(value) for name, value in params.items()})
    record = result.single(strict=True)
    got, ids = record["rows"], record.get("ids")
    if ids is not None and len(ids) != got:  # cannot happen: one id per row
        raise StoreError(f"Neo4j returned {len(ids)} node ids for {got} rows")
    if got != expected:
        raise ConcurrentChange(f"{got} of {expected} rows matched: another transaction deleted nodes")
    return record, result.consume().counters


def _node_ids_fresh(tx, batch: Batch) -> tuple[dict[str, str], set[str], int]:
    """Fresh path for the nodes: ``(uri -> element id, uris created here, triples added)``."""
    uris = list(batch.nodes)
    found = _single(tx, _LOOKUP, len(uris), uris=uris)[0]["ids"]
    ids = {uri: eid for uri, eid in zip(uris, found) if eid}
    new = [uri for uri, eid in zip(uris, found) if not eid]
    existing = batch.split(list(ids))[0]  # found, with labels or values to add
    full, bare = batch.split(new)
    added = 0
    if full:
        record, counters = _single(tx, _CREATE_NODES, len(full), rows=[batch.nodes[uri] for uri in full])
        ids.update(zip(full, record["ids"]))
        added += counters.labels_added - counters.nodes_created  # every new node also gets :Resource
        added += batch.value_count(full)  # a new node holds no value yet
    if bare:
        ids.update(zip(bare, _single(tx, _CREATE_BARE_NODES, len(bare), uris=bare)[0]["ids"]))
    if existing:
        nodes = batch.nodes
        rows = [[ids[uri], nodes[uri][1], nodes[uri][2]] for uri in existing]
        record, counters = _single(tx, _APPEND_BY_ID, len(existing), rows=rows)
        added += counters.labels_added + (record["added"] or 0)
    return ids, set(new), added


def _node_ids_merged(tx, batch: Batch) -> tuple[dict[str, str], set[str], int]:
    """Merge path for the nodes: ``(uri -> element id, set(), triples added)``."""
    full, bare = batch.split(batch.nodes)
    ids: dict[str, str] = {}
    added = 0
    if full:
        record, counters = _single(tx, _UPSERT_NODES, len(full), rows=[batch.nodes[uri] for uri in full])
        ids.update(zip(full, record["ids"]))
        added += counters.labels_added - counters.nodes_created + (record["added"] or 0)
    if bare:
        record, counters = _single(tx, _MERGE_BARE_NODES, len(bare), uris=bare)
        ids.update(zip(bare, record["ids"]))
        added += counters.labels_added - counters.nodes_created
    return ids, set(), added


def write_batch(tx, batch: Batch, keys: dict, checkpoint: dict | None = None, fresh: bool = True) -> int:
    """Write a batch inside transaction ``tx``; returns how many triples were new.

    Args:
        tx: A ``neo4j`` managed transaction.
        batch (Batch): The grouped triples.
        keys (dict): The literal property keys the batch uses, ``key -> KeyInfo``;
            merged into the ``_KgftKey`` registry in the same transaction.
        checkpoint (dict, optional): ``{"sha256": ..., "batches_done": n}``: also
            advance that file's import record in the same transaction. (default: ``None``)
        fresh (bool): Take the fresh path; ``False`` for the merge path (see the
            module docstring). (default: ``True``)

    Returns:
        int: Triples new to the store (labels added, literal values appended,
        relationships created).

    Raises:
        ConcurrentChange: (fresh path) a looked-up node was deleted meanwhile.
        neo4j.exceptions.ConstraintError: (fresh path) another writer created a
            looked-up node meanwhile.
        StoreError: the file's import record was deleted meanwhile.
    """
    lock_writer(tx)
    if keys:
        rows = [{"key": k, "predicate": i.predicate, "datatype": i.datatype, "lang": i.lang} for k, i in keys.items()]
        tx.run(_REGISTER_KEYS, keys=rows).consume()
    ids, new, added = (_node_ids_fresh if fresh else _node_ids_merged)(tx, batch)
    for predicate, pairs in batch.rels.items():
        rel_type = quote_token(predicate, "predicate")
        created, merged = [], []
        for s, o in pairs:
            (created if s in new or o in new else merged).append([ids[s], ids[o]])
        for query, rows in ((_CREATE_RELS, created), (_MERGE_RELS, merged)):
            if rows:
                added += _single(tx, query.replace("{rel_type}", rel_type), len(rows), rows=rows)[1].relationships_created
    advance_checkpoint(tx, added, checkpoint)
    return added


def lock_writer(tx) -> None:
    """Take the kgft writer lock (first in every write transaction; serializes kgft writers)."""
    tx.run(LOCK).consume()


def advance_checkpoint(tx, added: int, checkpoint: dict | None) -> None:
    """Advance a file's import record in ``tx`` (nothing when ``checkpoint`` is ``None``).

    Raises:
        StoreError: the import record was deleted meanwhile (raised inside the
            transaction function, so the batch is rolled back).
    """
    if checkpoint is not None and tx.run(_CHECKPOINT, added=added, **checkpoint).single() is None:
        raise StoreError(MISSING_RECORD, hint="import the file again")
