"""``Neo4jStore``: the kgft ``Store`` protocol on a real Neo4j server (n10s model).

The graph model follows neosemantics (n10s) with ``handleVocabUris: "KEEP"``
(full IRIs, no prefix shortening) and ``handleMultival: "ARRAY"``; see
:mod:`kg.neo4j_store.encode` for the exact mapping and
:mod:`kg.neo4j_store.importer` for the resumable, checkpointed file import.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from kg.neo4j_store import reader
from kg.neo4j_store.batch import Batch
from kg.neo4j_store.connection import translate_errors
from kg.neo4j_store.schema import SCHEMA
from kg.neo4j_store.encode import KeyCodec, KeyInfo
from core.settings import Neo4jSettings
from kg.store_protocol import LABEL_PREDICATES, ImportResult

log = logging.getLogger(__name__)

#: How file imports may write (see ``Neo4jStore``).
LOADERS = ("auto", "plugin", "cypher")

#: Triples per write transaction: large enough to amortize the per-transaction
#: round trips and commit (batch sizes compared in BENCHMARKS.md), small enough
#: to keep a batch a few MB.
DEFAULT_BATCH_SIZE = 50_000
#: About how many triples an import's opening transaction holds (it writes them
#: while the file is validated; see :mod:`kg.neo4j_store.importer`).
OPENING_TRIPLES = 150_000


class Neo4jStore:
    """A Neo4j database holding one RDF graph, n10s style; implements ``kg.store_protocol.Store``.

    Opening the store verifies the connection and creates (if missing) the
    ``n10s_unique_uri`` uniqueness constraint on ``:Resource(uri)`` plus the
    constraints of kgft's bookkeeping nodes (``:_KgftImport`` checkpoints,
    ``:_KgftKey`` property-key registry, ``:_KgftLock`` writer lock,
    ``:_KgftAnnotation`` expert annotations). Those
    nodes never carry ``:Resource`` and are not part of the RDF graph.

    Args:
        settings (Neo4jSettings, optional): Connection settings; ``Neo4jSettings.from_env()``
            when ``None``. (default: ``None``)
        batch_size (int): Triples per write transaction. (default: ``50000``)
        keep_lang (bool): Keep language tags as ``<predicate>@<tag>`` property keys;
            when ``False`` (the n10s default) tagged literals are stored as plain
            strings and ``"x"@en``/``"x"@fr`` of one subject and predicate become one
            value. (default: ``False``)
        database (str, optional): Database name; ``settings.database`` or the server
            default when ``None``. (default: ``None``)
        loader (str, optional): How file imports write: ``"plugin"`` through kgft's
            server procedure (:mod:`kg.neo4j_store.procedure`), ``"cypher"`` through
            Cypher statements only, ``"auto"`` the plugin when the server has it.
            ``None`` reads ``KGFT_NEO4J_LOADER`` (default ``"auto"``). (default: ``None``)

    Raises:
        Neo4jUnavailable: the server cannot be reached or refused the login.
        StoreError: the schema cannot be created.
    """

    def __init__(
        self,
        settings: Neo4jSettings | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        keep_lang: bool = False,
        database: str | None = None,
        loader: str | None = None,
    ) -> None:
        import os

        from core.errors import ConfigError
        from core.validation import require_choice

        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, not {batch_size!r}")
        loader = loader or os.environ.get("KGFT_NEO4J_LOADER") or "auto"
        require_choice(loader, LOADERS, "Neo4j loader (KGFT_NEO4J_LOADER)")
        self.loader = loader
        self._plugin: bool | None = None
        self.settings = settings or Neo4jSettings.from_env()
        self.batch_size = batch_size
        #: Batches written in an import's opening transaction, alongside the validation
        #: pass (see :mod:`kg.neo4j_store.importer`): ``OPENING_TRIPLES // batch_size``, at least 1.
        self.opening_batches = max(1, OPENING_TRIPLES // batch_size)
        self.keep_lang = keep_lang
        self.database = database or self.settings.database
        self.uri = self.settings.uri
        self._codec = KeyCodec(keep_lang)
        self._driver = self.settings.driver()
        try:
            for statement in SCHEMA:
                self.run(statement, "creating the n10s uniqueness constraint")
        except BaseException:
            self._driver.close()
            raise

    # ------------------------------------------------------------ plumbing
    def __enter__(self) -> "Neo4jStore":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Neo4jStore(uri={self.uri!r}, database={self.database!r})"

    def close(self) -> None:
        """Close the driver (idempotent)."""
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    def session(self, read: bool = False):
        """A driver session on this store's database (``READ_ACCESS`` when ``read``)."""
        import neo4j

        from core.errors import StoreError

        if self._driver is None:
            raise StoreError("the Neo4j store is closed")
        mode = neo4j.READ_ACCESS if read else neo4j.WRITE_ACCESS
        return self._driver.session(
            database=self.database, default_access_mode=mode, notifications_min_severity="OFF"
        )

    def run(self, query: str, action: str, read: bool = False, **params) -> list[dict]:
        """Run one statement in a managed transaction; returns the records as dicts.

        Args:
            query (str): Cypher with ``$parameters``.
            action (str): What is being done, for error messages.
            read (bool): Run as a read transaction. (default: ``False``)
            **params: The parameters.
        """

        def work(tx):
            return [record.data() for record in tx.run(query, **params)]

        with translate_errors(self.uri, action), self.session(read) as session:
            return session.execute_read(work) if read else session.execute_write(work)

    def _keys(self) -> dict[str, KeyInfo]:
        with translate_errors(self.uri, "reading the property-key registry"), self.session(True) as session:
            return session.execute_read(reader.load_keys)

    # ------------------------------------------------------------ writing
    def new_batch(self) -> Batch:
        """An empty batch using this store's literal encoding."""
        return Batch(self._codec)

    def uses_plugin(self) -> bool:
        """Whether file imports write through kgft's server procedure (looked up once).

        Raises:
            StoreError: ``loader="plugin"`` but the server lacks the procedure.
        """
        if self._plugin is None:
            from kg.neo4j_server.plugin import PROCEDURE
            from kg.neo4j_store.procedure import has_procedure

            found = False
            if self.loader != "cypher":
                found = self._read("looking for the kgft plugin", has_procedure)
            if self.loader == "plugin" and not found:
                from core.errors import StoreError

                raise StoreError(
                    f"the Neo4j server at {self.uri} has no {PROCEDURE} procedure",
                    hint="start it with `kgft neo4j start` (which installs kgft's plugin), "
                    "or set KGFT_NEO4J_LOADER=cypher",
                )
            self._plugin = found
            log.debug("Neo4j imports write through %s", PROCEDURE if found else "Cypher")
        return self._plugin

    def write_in(self, tx, batch, checkpoint: dict | None = None, fresh: bool = True) -> int:
        """Write one batch inside transaction ``tx``; returns triples added.

        A :class:`~kg.neo4j_store.batch.Batch` takes the fresh (or, with
        ``fresh=False``, the merge) path of :func:`kg.neo4j_store.write.write_batch`;
        a :class:`~kg.neo4j_store.text_batches.TextBatch` goes through the server
        procedure (:func:`kg.neo4j_store.procedure.write_text`), or is parsed and
        written on the merge path when ``fresh=False``.
        """
        from kg.neo4j_store.procedure import write_text
        from kg.neo4j_store.text_batches import TextBatch
        from kg.neo4j_store.write import write_batch

        if isinstance(batch, TextBatch):
            if fresh:
                return write_text(tx, batch, self.keep_lang, checkpoint)
            batch = batch.to_batch(self.new_batch())
        keys = {k: self._codec.known[k] for k in batch.keys}
        return write_batch(tx, batch, keys, checkpoint, fresh=fresh)

    def run_write(self, work, action: str):
        """Run ``work(tx, fresh)`` as a managed write transaction, falling back to the merge path.

        ``work`` first runs with ``fresh=True``; if a writer other than kgft
        created or deleted one of its nodes meanwhile, that transaction is
        rolled back and ``work`` runs again with ``fresh=False``.
        """
        from neo4j.exceptions import ConstraintError

        from core.errors import StoreError
        from kg.neo4j_store.write import ConcurrentChange

        with translate_errors(self.uri, action), self.session() as session:
            try:
                return session.execute_write(work, True)
            except (ConstraintError, ConcurrentChange) as exc:
                log.info("another writer changed nodes of this batch (%s); writing it again with MERGE", exc)
            try:
                return session.execute_write(work, False)
            except ConcurrentChange as exc:
                raise StoreError(f"nodes were deleted while {action}: {exc}", hint="run it again") from exc

    def write_batch(self, batch, checkpoint: dict | None = None, action: str = "writing triples") -> int:
        """Write one batch in one transaction (with its checkpoint, if any); returns triples added.

        See :meth:`write_in` and :meth:`run_write`.
        """
        return self.run_write(lambda tx, fresh: self.write_in(tx, batch, checkpoint, fresh), action)

    def write_batches(self, batches: Iterable[tuple[Batch, dict | None]], action: str) -> tuple[int, int]:
        """Write ``(batch, checkpoint)`` pairs in order, overlapping each write with building the next.

        One writer thread commits batch *k* while the caller's iterator parses
        batch *k+1* (the driver releases the GIL while it waits for the
        server); at most two batches are in memory. The first error stops the
        run after the batch being written settles, and is raised.

        Returns:
            tuple[int, int]: Triples added, batches written.
        """
        from concurrent.futures import ThreadPoolExecutor

        added = written = 0
        pending = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kgft-neo4j-writer") as pool:
            try:
                for batch, checkpoint in batches:
                    if pending is not None:
                        added += pending.result()
                        written += 1
                    pending = pool.submit(self.write_batch, batch, checkpoint, action)
            finally:
                if pending is not None:
                    result = pending.result()  # also raises the writer's error, if any
                    added += result
                    written += 1
        return added, written

    def import_file(self, path: Path, format: str | None = None, base_iri: str | None = None) -> ImportResult:
        """Import one RDF file; resumable after a crash, idempotent on re-import (``base_iri``: as kg.parse).

        See :mod:`kg.neo4j_store.importer` for the guarantees.

        Raises:
            ParseError: a syntax error (file:line); nothing from the file is written.
            Neo4jUnavailable: the connection dropped; run the import again to resume.
        """
        from kg.neo4j_store.importer import import_file

        return import_file(self, Path(path), format, base_iri)

    def add_triples(self, triples: Iterable[tuple], source: str = "") -> int:
        """Add rdflib-term triples in batches of ``batch_size`` (MERGE semantics).

        Blank-node ids are used as given (``bnode://<id>`` nodes): callers scope
        them, as :mod:`kg.parse` does for files.

        Args:
            triples (Iterable[tuple]): ``(s, p, o)`` rdflib terms.
            source (str): Where they come from, for messages. (default: ``""``)

        Returns:
            int: How many triples were new.
        """
        action = f"adding triples{' from ' + source if source else ''}"

        def batches():
            batch = self.new_batch()
            for s, p, o in triples:
                batch.add_rdflib(s, p, o)
                if batch.size >= self.batch_size:
                    yield batch, None
                    batch = self.new_batch()
            if batch.size:
                yield batch, None

        return self.write_batches(batches(), action)[0]

    # ------------------------------------------------------------ reading
    def _read(self, action: str, func, *args):
        with translate_errors(self.uri, action), self.session(True) as session:
            return session.execute_read(func, *args)

    def triples(self, prefixes: Sequence[str] | None = None) -> Iterator[tuple]:
        """Iterate every triple as rdflib terms ``(s, p, o)`` (streamed).

        Args:
            prefixes (Sequence[str], optional): Only subjects whose IRI (blank
                nodes: ``bnode://<id>``) starts with one of these. (default: ``None``)
        """
        keys = self._keys()
        with translate_errors(self.uri, "reading triples"), self.session(True) as session:
            yield from reader.iter_triples(session, keys, prefixes)

    def count(self, prefixes: Sequence[str] | None = None) -> int:
        """Number of triples the graph represents (relationships + literal values + type labels).

        Args:
            prefixes (Sequence[str], optional): Only subjects starting with one of these. (default: ``None``)
        """
        return self._read("counting triples", reader.count, self._keys(), prefixes)

    def labels(self) -> Iterator[tuple[str, str, str]]:
        """``(entity_iri, predicate_iri, text)`` for labels and synonyms of IRIs (:data:`LABEL_PREDICATES`)."""
        keys = self._keys()
        with translate_errors(self.uri, "reading labels"), self.session(True) as session:
            yield from reader.iter_labels(session, keys, LABEL_PREDICATES)

    def stats(self) -> dict:
        """``triples``, ``classes``, ``individuals``, ``properties``, ``labelled``, ``predicates``.

        Same definitions as the embedded store (:meth:`kg.embedded.EmbeddedStore.stats`).
        """
        return self._read("computing statistics", reader.stats, self._keys())

    def delete(self, prefixes: Sequence[str]) -> int:
        """Delete every resource whose ``uri`` starts with one of ``prefixes``, and its edges.

        Import records of files are kept; use :meth:`forget_import` to allow a
        full re-import. Deletes in transactions of 10,000 nodes.

        Args:
            prefixes (Sequence[str]): Non-empty IRI prefixes (``bnode://k<scope>`` for
                one file's blank nodes).

        Returns:
            int: Nodes deleted.
        """
        from core.errors import StoreError

        if not prefixes or any(not p for p in prefixes):
            raise StoreError("delete needs non-empty IRI prefixes")
        query = (
            "UNWIND $prefixes AS prefix MATCH (n:Resource) WHERE n.uri STARTS WITH prefix "
            "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        )
        with translate_errors(self.uri, "deleting resources"), self.session() as session:
            summary = session.run(query, prefixes=list(prefixes)).consume()
        return summary.counters.nodes_deleted

    def forget_import(self, sha256: str) -> None:
        """Drop the import record of a file (by content SHA-256) so it is imported again."""
        self.run("MATCH (r:_KgftImport {sha256: $sha}) DELETE r", "forgetting an import", sha=sha256)
