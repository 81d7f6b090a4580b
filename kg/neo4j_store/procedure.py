"""Writing batches through kgft's server procedure ``kgft.importNTriples``.

When the server has kgft's plugin (:mod:`kg.neo4j_server.plugin`; ``kgft
neo4j start`` installs it), a file import sends each batch as N-Triples text
(pyoxigraph's serialization of the parsed, blank-node-scoped triples) to the
procedure, which groups and writes it inside the same transaction as the
writer lock and the file's checkpoint: the guarantees of
:mod:`kg.neo4j_store.importer` are unchanged, and the graph is the one the
Cypher statements of :mod:`kg.neo4j_store.write` give (the tests compare them).
The client then does no grouping and packs one string per batch, and the
server runs no Cypher pipeline per statement.

If a writer that is not kgft creates or deletes one of the batch's nodes
while the procedure runs, it fails with a retry marker and the batch is
written again on the Cypher merge path, as on the fresh path.
"""

from __future__ import annotations

from core.errors import StoreError
from kg.neo4j_server.plugin import PROCEDURE
from kg.neo4j_store.schema import IRI_HINT
from kg.neo4j_store.text_batches import TextBatch
from kg.neo4j_store.write import LOCK, MISSING_RECORD, ConcurrentChange, checkpoint_clause

_FIND = "SHOW PROCEDURES YIELD name WHERE name = $name RETURN count(*) AS n"
# One statement per batch: the writer lock (taken before the procedure runs on
# the single row), the batch, and optionally the file's checkpoint.
_CALL = f"{LOCK} WITH l CALL {PROCEDURE}($text, $keepLang) YIELD triples, added "
_CALL_ONLY = _CALL + "RETURN triples, added"
_CALL_AND_CHECKPOINT = _CALL + checkpoint_clause("added") + "RETURN triples, added"

# Message markers of the procedure's errors (org.kgft.neo4j.RdfLoader).
_RETRY = "kgft-retry: "
_STORE_ERROR = "kgft-store-error: "
_PARSE_ERROR = "kgft-parse-error: "


def has_procedure(tx) -> bool:
    """Whether the server has kgft's import procedure."""
    return tx.run(_FIND, name=PROCEDURE).single()["n"] > 0


def write_text(tx, batch: TextBatch, keep_lang: bool, checkpoint: dict | None = None) -> int:
    """Write a :class:`TextBatch` through the procedure inside transaction ``tx``; returns triples added.

    Args:
        tx: A ``neo4j`` managed transaction.
        batch (TextBatch): The triples.
        keep_lang (bool): Keep language tags as ``P@tag`` property keys.
        checkpoint (dict, optional): ``{"sha256": ..., "batches_done": n}`` to advance
            in the same transaction. (default: ``None``)

    Raises:
        ConcurrentChange: another writer created or deleted one of the batch's nodes.
        StoreError: an IRI or language tag cannot be stored, or the procedure read
            a different number of triples than were sent.
    """
    from neo4j.exceptions import ClientError

    query, params = (_CALL_ONLY, {}) if checkpoint is None else (_CALL_AND_CHECKPOINT, checkpoint)
    try:
        record = tx.run(query, text=batch.text, keepLang=keep_lang, **params).single()
    except ClientError as exc:
        message = exc.message or ""
        if _RETRY in message:
            raise ConcurrentChange(message.split(_RETRY, 1)[1]) from exc
        if _STORE_ERROR in message:
            reason = message.split(_STORE_ERROR, 1)[1].strip()
            raise StoreError(reason, hint=IRI_HINT if "IRI" in reason else None) from None
        if _PARSE_ERROR in message:
            reason = message.split(_PARSE_ERROR, 1)[1].strip()
            raise StoreError(f"the kgft Neo4j plugin could not read a batch: {reason}") from None
        raise
    if record is None:  # raised inside the transaction function: the batch is rolled back
        raise StoreError(MISSING_RECORD, hint="import the file again")
    if record["triples"] != batch.size:
        raise StoreError(f"the kgft Neo4j plugin read {record['triples']} triples of a batch of {batch.size}")
    return record["added"]
