"""The embedded store: an rdflib ``Graph`` persisted on disk by Oxigraph (oxrdflib).

Measured on this machine (see BENCHMARKS.md, ``bench/import_embedded.py``):
rdflib's own N-Triples parser into its Memory store is several times slower
and needs far more memory than pyoxigraph's Rust parser writing into the
Oxigraph (RocksDB) store, so the graph lives in Oxigraph and the rdflib
``Graph`` (:attr:`EmbeddedStore.graph`) is a view on it: rdflib code and
SPARQL (run by Oxigraph's engine) both work on the same data.

Imports stream through :mod:`kg.parse` (file-scoped blank nodes, errors with
file:line). A file's import is all-or-nothing: a file of at most
:data:`TRANSACTION_QUADS` statements is parsed fully in memory and written in
one transaction. A larger one is written with Oxigraph's bulk loader, which
has no transactions, under an import journal (:mod:`kg.import_journal`): a
rollback copy of the store is taken first (hard links, milliseconds), and a
syntax error, Ctrl-C, SIGTERM or SIGHUP swaps it back; after a SIGKILL or a
power loss the next open of the store does. Up to :data:`BUFFER_QUADS`
statements are parsed in memory and then written; beyond that the file is
loaded in chunks (200,000 statements, or N-Triples without blank nodes in
text chunks that Oxigraph parses itself, :mod:`kg.bulk_load`), so memory
stays bounded. Typed literals that Oxigraph stores as values (``"1.0"^^xsd:decimal``
as ``1``) keep their written form beside the graph for export
(:mod:`kg.lexical_forms`).
"""

from __future__ import annotations

import gc
import logging
import os
import time
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from kg.bulk_load import load_in_chunks
from core.errors import StoreError
from kg.import_journal import ImportJournal, recover
from kg.import_ledger import ImportLedger
from kg.interrupt import LateInterrupt, shielded, terminate_as_interrupt
from kg.lexical_forms import form_quads, forms_graph, restore
from core.progress import progress
from kg.store_lock import LOCK_FILE, StoreLock
from kg.store_protocol import LABEL_PREDICATES, ImportResult
from kg.terms import to_ox, to_rdflib

log = logging.getLogger(__name__)

#: Files with at most this many statements are parsed fully in memory, then written.
BUFFER_QUADS = 200_000
#: Up to this many statements are written in one transaction (faster than the bulk loader).
TRANSACTION_QUADS = 20_000
_BATCH = 50_000

def _rdflib_view(store):
    """The rdflib ``Graph`` on a ``pyoxigraph.Store``'s default graph (oxrdflib)."""
    from oxrdflib import OxigraphStore
    from rdflib import Graph
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    return Graph(store=OxigraphStore(store=store), identifier=DATASET_DEFAULT_GRAPH_ID)


class EmbeddedStore:
    """An on-disk RDF graph (rdflib API, Oxigraph storage) implementing ``kg.store_protocol.Store``.

    Args:
        directory (Path): Store directory; created on first write.
        read_only (bool): Do not create a missing store; refuse writes; share the
            store with other readers (:mod:`kg.store_lock`). (default: ``False``)

    Raises:
        StoreError: the directory is not an Oxigraph store, is in use by another
            process (a writer; for a writer, anyone), or (``read_only``) does not exist.
    """

    def __init__(self, directory: Path, read_only: bool = False) -> None:
        import pyoxigraph as ox

        self.directory = Path(directory)
        self.read_only = read_only
        recover(self.directory)  # an import cut short by SIGKILL or a power loss (kg.import_journal)
        if read_only and not (self.directory / "CURRENT").exists():
            raise StoreError(
                f"no kgft store at {self.directory}",
                hint="import an ontology first: kgft ontology import FILE --store DIR",
            )
        if self.directory.exists() and not self.directory.is_dir():
            raise StoreError(f"store path {self.directory} is not a directory")
        if (self.directory.is_dir() and any(p.name != LOCK_FILE for p in self.directory.iterdir())
                and not (self.directory / "CURRENT").exists()):
            raise StoreError(
                f"{self.directory} is not a kgft store (not empty, no Oxigraph data)",
                hint="pass an empty or new directory to --store",
            )
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock = StoreLock(self.directory, exclusive=not read_only)
        except OSError as exc:
            raise StoreError(f"cannot open the store {self.directory}: {exc}") from exc
        try:
            self._ox = ox.Store.read_only(str(self.directory)) if read_only else ox.Store(str(self.directory))
        except OSError as exc:
            self._lock.release()
            if "lock" in str(exc).lower():
                raise StoreError(
                    f"the store {self.directory} is in use by another process",
                    hint="wait for the other kgft command to finish",
                ) from exc
            raise StoreError(f"cannot open the store {self.directory}: {exc}") from exc
        self._default = ox.DefaultGraph()
        self._ledger = ImportLedger(self.directory)
        self.graph = _rdflib_view(self._ox)

    # ------------------------------------------------------------ lifecycle
    def __enter__(self) -> "EmbeddedStore":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Flush and release the store directory (its lock)."""
        if getattr(self, "_ox", None) is None:
            return
        if not self.read_only:
            self._ox.flush()
        # pyoxigraph has no close(): the directory lock goes with the last
        # reference, so drop every reference we hold (rdflib's store too).
        self.graph.close()
        self.graph = None
        self._ox = None
        self._lock.release()

    @property
    def oxigraph(self):
        """The underlying ``pyoxigraph.Store`` (fast access for bulk readers)."""
        if self._ox is None:
            raise StoreError(f"the store {self.directory} is closed")
        return self._ox

    def _writable(self):
        if self.read_only:
            raise StoreError(f"the store {self.directory} was opened read-only")
        return self.oxigraph

    @contextmanager
    def lent(self) -> Iterator[Path]:
        """Let another process write the store: this one's Oxigraph instance is closed meanwhile.

        The writer lock stays held, so no other kgft command opens the store;
        the instance is reopened however the block ends (for SPARQL updates run
        in a child process that can be stopped, :mod:`kg.query_worker`).

        Yields:
            Path: The store directory.
        """
        import pyoxigraph as ox

        self._writable().flush()
        self._ledger.forget()  # the other process may remove statements
        self.graph.close()
        self.graph = self._ox = None
        gc.collect()  # the directory's RocksDB lock goes with the last reference
        try:
            yield self.directory
        finally:
            self._ox = ox.Store(str(self.directory))
            self.graph = _rdflib_view(self._ox)

    # ------------------------------------------------------------ writing
    def import_file(self, path: Path, format: str | None = None, base_iri: str | None = None) -> ImportResult:
        """Import one RDF file, all-or-nothing (also when interrupted); re-importing adds nothing.

        Args:
            path (Path): The file (any format of :mod:`kg.parse`, optionally ``.gz``).
            format (str, optional): Format name; detected when ``None``. (default: ``None``)
            base_iri (str, optional): Base of relative IRIs (``@base``/``xml:base`` in the
                file still apply); the file's ``file://`` URI when ``None``. (default: ``None``)

        Returns:
            ImportResult: triples read and added, format, seconds.

        Raises:
            ParseError: a syntax error (the store is unchanged), unknown format, invalid UTF-8.
            DataError: the file cannot be read.
            KeyboardInterrupt: Ctrl-C, SIGTERM or SIGHUP (the store is unchanged).
            LateInterrupt: one of those signals once the file was written whole: the import stands
                (the exception's ``result`` says what it did).
        """
        from kg.parse import detect_format, file_sha256

        # No local reference to the Oxigraph store: a traceback must not keep its lock alive.
        self._writable()
        start = time.perf_counter()
        path = Path(path)
        fmt = detect_format(path, format)
        sha = file_sha256(path)
        key = self._ledger.key(sha, path, fmt, base_iri)
        held = self._ledger.triples(key)
        if held is not None:
            log.info("%s: already imported whole (sha256 %s), nothing to add", path, sha)
            return ImportResult(str(path), fmt, held, 0, time.perf_counter() - start,
                                extra={"sha256": sha, "skipped": True})
        before = self.count()
        interrupted = False
        with terminate_as_interrupt():
            read, journal = self._write_file(path, fmt, base_iri, sha[:16])  # the parser's blank-node scope
            try:
                with shielded():  # written whole: a signal from here on lets the import stand
                    if journal is not None:
                        journal.commit()
                    self._ledger.record(key, read, path, fmt)
                    added = self.count() - before
            except KeyboardInterrupt:
                interrupted = True
        seconds = time.perf_counter() - start
        log.info("imported %s: %d triples read, %d added in %.2fs", path, read, added, seconds)
        result = ImportResult(str(path), fmt, read, added, seconds, extra={"sha256": sha, "skipped": False})
        if interrupted:
            raise LateInterrupt(result)
        return result

    def _write_file(self, path: Path, fmt: str, base_iri: str | None, scope: str) -> tuple[int, ImportJournal | None]:
        """Write a file's statements all-or-nothing (see the module docstring).

        ``scope`` is the file's blank-node scope (:func:`kg.parse.file_scope`), computed once by the caller.

        Returns:
            tuple: The statements read, and the import journal the caller commits (``None`` when the
            file was written in one transaction).
        """
        from itertools import islice

        # Imported before any interruptible write: Ctrl-C inside a module's import can
        # leave its import lock to a loader thread for good (progress bars import tqdm).
        import tqdm.auto  # noqa: F401

        from kg.parse import iter_quads

        label = f"import {path.name}"
        quads = iter_quads(path, fmt, base_iri=base_iri, scope=scope)
        buffer = list(islice(quads, BUFFER_QUADS + 1))
        if len(buffer) <= min(TRANSACTION_QUADS, BUFFER_QUADS):
            self.oxigraph.extend(buffer + form_quads(buffer, self.oxigraph))  # the whole file, in one transaction
            return len(buffer), None
        with self._journaled(path) as journal:
            if len(buffer) <= BUFFER_QUADS:
                forms = form_quads(buffer, self.oxigraph)
                self.oxigraph.bulk_extend(progress(buffer, desc=label, unit=" triples"))
                self.oxigraph.bulk_extend(forms)
                return len(buffer), journal
            # Large file: loaded in chunks (Oxigraph's bulk loader grows with its input). The parse is
            # closed here, not by the garbage collector: a Ctrl-C while it closes its file then
            # reaches this import instead of being printed as ignored in a finalizer.
            quads.close()
            del buffer
            return load_in_chunks(self, path, fmt, base_iri, label, BUFFER_QUADS, scope), journal

    @contextmanager
    def _journaled(self, source: Path) -> Iterator[ImportJournal]:
        """Make the bulk writes inside all-or-nothing under an import journal (:mod:`kg.import_journal`).

        Yields the journal; once the block has ended the store is flushed and the caller commits it.
        """
        journal = ImportJournal(self.directory)
        begun = False
        try:
            with shielded():  # a signal during the checkpoint is raised when it is done: rolled back below
                journal.begin(self.oxigraph, source)
                begun = True
            yield journal
            self.oxigraph.flush()
        except BaseException as exc:
            traceback.clear_frames(exc.__traceback__)  # finished frames' locals may hold the store open
            if begun:
                with shielded():
                    self._roll_back(journal)
            raise

    def _roll_back(self, journal: ImportJournal) -> None:
        """Swap the store for the journal's rollback copy and reopen it (the exclusive lock is kept)."""
        self.graph.close()
        self.graph = self._ox = None
        gc.collect()  # rdflib's view and the failed call's frames hold the store in reference cycles
        journal.roll_back()
        reopened = EmbeddedStore(self.directory)  # locks the restored directory
        self._lock.release()  # it locked the replaced directory's lock file
        self._ox, self.graph, self._lock = reopened._ox, reopened.graph, reopened._lock

    def add_triples(self, triples: Iterable[tuple], source: str = "") -> int:
        """Add rdflib-term triples ``(s, p, o)`` in batches of 50,000.

        Args:
            triples (Iterable[tuple]): rdflib ``URIRef``/``BNode``/``Literal`` triples.
            source (str): Where they come from (logged only). (default: ``""``)

        Returns:
            int: How many were new.
        """
        import pyoxigraph as ox

        before = len(self._writable())
        batch = []
        for s, p, o in triples:
            batch.append(ox.Quad(to_ox(s), to_ox(p), to_ox(o)))
            if len(batch) >= _BATCH:
                self.oxigraph.extend(batch)
                batch = []
        if batch:
            self.oxigraph.extend(batch)
        added = len(self.oxigraph) - before
        log.info("added %d triples%s", added, f" from {source}" if source else "")
        return added

    def remove_quads(self, quads: Iterable) -> None:
        """Remove ``pyoxigraph.Quad`` statements (the import ledger is forgotten first, :mod:`kg.import_ledger`)."""
        quads = list(quads)
        if not quads:
            return
        self._writable()
        self._ledger.forget()
        for quad in quads:
            self.oxigraph.remove(quad)

    # ------------------------------------------------------------ reading
    def iter_ox_triples(self) -> Iterator:
        """Every triple of the graph as ``pyoxigraph.Quad`` objects (fast path)."""
        return self.oxigraph.quads_for_pattern(None, None, None, self._default)

    def triples(self) -> Iterator[tuple]:
        """Iterate every triple as rdflib terms ``(s, p, o)``."""
        for quad in self.iter_ox_triples():
            yield to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)

    def count(self) -> int:
        """Number of triples in the graph (named graphs made by SPARQL updates not included)."""
        if next(iter(self.oxigraph.named_graphs()), None) is None:
            return len(self.oxigraph)  # fast path: every quad is in the default graph
        rows = list(self._select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
        return int(rows[0]["n"].value)

    def _select(self, query: str):
        return self.oxigraph.query(query)

    def labels(self) -> Iterator[tuple[str, str, str]]:
        """``(entity_iri, predicate_iri, text)`` for every label/synonym literal of an IRI.

        Predicates: :data:`kg.store_protocol.LABEL_PREDICATES` (rdfs:label, skos pref/alt/hidden
        labels, oboInOwl synonyms). Blank-node subjects are skipped.
        """
        import pyoxigraph as ox

        store = self.oxigraph
        for pred in LABEL_PREDICATES:
            for quad in store.quads_for_pattern(None, ox.NamedNode(pred), None, self._default):
                if type(quad.subject) is ox.NamedNode and type(quad.object) is ox.Literal:
                    yield quad.subject.value, pred, quad.object.value

    def stats(self) -> dict:
        """Counts describing the graph (:func:`kg.graph_stats.sparql_stats`, the definitions both stores share)."""
        from kg.graph_stats import sparql_stats

        return sparql_stats(self._select, self.count())

    def dump(self, output, format: str = "nt") -> int:
        """Serialize the graph with Oxigraph's writer, literals as written (:mod:`kg.lexical_forms`).

        Args:
            output: A file path, or a binary stream to write to.
            format (str): An RDF format name (:mod:`kg.parse`). (default: ``"nt"``)

        Returns:
            int: The triples written.
        """
        import pyoxigraph as ox

        from kg.parse import normalize_format, rdf_format

        target = rdf_format(normalize_format(format))
        output = str(output) if isinstance(output, (str, os.PathLike)) else output
        forms = list(self.oxigraph.quads_for_pattern(None, None, None, forms_graph()))
        if not forms:
            self.oxigraph.dump(output, target, from_graph=self._default)
            return self.count()
        count = 0

        def statements():
            nonlocal count
            for quad in restore(self.iter_ox_triples(), forms):
                count += 1
                yield quad if target.supports_datasets else quad.triple

        ox.serialize(statements(), output, target)
        return count
