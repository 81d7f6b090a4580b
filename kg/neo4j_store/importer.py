"""File imports that resume from a checkpoint recorded per file.

Guarantee (documented choice: *resumable*, not a single transaction):

1. Nothing from a file is committed before the whole file has been parsed
   (validation pass), so a syntax error, invalid UTF-8 or an unknown format
   leaves nothing from that file in the store.
2. A ``:_KgftImport {sha256, path, format, batch_size, triples_read,
   batches_done, triples_added, status}`` node records the import. The key is
   the SHA-256 of the file's bytes, so a renamed copy is the same import and
   an edited file is a new one.
3. Triples are written in batches of ``batch_size``, each advancing
   ``batches_done`` in the same transaction, so a batch is committed together
   with its checkpoint or not at all. The **opening transaction** creates the
   record and writes the first ``Neo4jStore.opening_batches`` batches while
   the validation pass runs on another thread; it commits only once the
   validation succeeded, and a syntax error rolls it back (the validation no
   longer delays the writes). Every later batch is its own transaction,
   written in order by one writer thread while the next batch is read.
4. After a crash, a dropped connection or Ctrl-C, running the same import
   again skips the committed batches and writes the rest. Because every write
   has MERGE semantics, even replaying a batch would not duplicate anything;
   the checkpoint only saves the work. The run ends with exactly the counts a
   clean import gives.
5. When all batches are in, ``status`` becomes ``"done"``; importing the file
   again then returns at once with ``triples_added == 0``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Iterator

from core.cores import available_cores
from kg.neo4j_store.schema import IMPORT_LABEL
from kg.parse import file_sha256
from kg.store_protocol import ImportResult

log = logging.getLogger(__name__)

_GET = (
    f"MATCH (r:{IMPORT_LABEL} {{sha256: $sha256}}) RETURN r.status AS status, r.format AS format, "
    "r.triples_read AS triples_read, r.batch_size AS batch_size, r.batches_done AS batches_done, "
    "r.triples_added AS triples_added"
)
_CREATE = (
    f"MERGE (r:{IMPORT_LABEL} {{sha256: $sha256}}) "
    "ON CREATE SET r.path = $path, r.format = $format, r.triples_read = $triples_read, "
    "r.batch_size = $batch_size, r.batches_done = 0, r.triples_added = 0, r.status = 'running', "
    "r.started = datetime() "
    "RETURN r.status AS status, r.format AS format, r.triples_read AS triples_read, "
    "r.batch_size AS batch_size, r.batches_done AS batches_done, r.triples_added AS triples_added"
)
_SET_READ = f"MATCH (r:{IMPORT_LABEL} {{sha256: $sha256}}) SET r.triples_read = $triples_read"
_FINISH = f"MATCH (r:{IMPORT_LABEL} {{sha256: $sha256}}) SET r.status = 'done', r.finished = datetime()"


def _in_background(func, *args, **kwargs) -> Future:
    """Run ``func`` on a daemon thread (Ctrl-C never waits for it); its result as a Future."""
    future: Future = Future()

    def run() -> None:
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(func(*args, **kwargs))
            except BaseException as exc:  # handed to the caller through the future
                future.set_exception(exc)

    threading.Thread(target=run, name="kgft-validate", daemon=True).start()
    return future


#: Files at least this large are validated in a child process (see kg.validate_worker).
PROCESS_VALIDATION_BYTES = 32 << 20


def _validation(path: Path, fmt: str, base_iri: str | None) -> Future:
    """The validation pass of ``path`` (see :mod:`kg.parse`), running in the background."""
    from kg.parse import validate

    if path.stat().st_size >= PROCESS_VALIDATION_BYTES and available_cores() > 1:
        from kg.validate_worker import validate_in_child

        return _in_background(validate_in_child, path, fmt, base_iri)
    return _in_background(validate, path, fmt, base_iri=base_iri)


def _batches(store, path: Path, fmt: str, scope: str, skip: int, batch_size: int,
             base_iri: str | None) -> Iterator:
    """The file's batches after the first ``skip``: N-Triples text for the plugin, grouped otherwise."""
    from kg.neo4j_store.text_batches import text_batches
    from kg.parse import iter_quads

    if store.uses_plugin():  # the server groups the triples (kg.neo4j_store.procedure)
        yield from text_batches(path, fmt, scope, skip, batch_size, base_iri)
        return
    quads = itertools.islice(iter_quads(path, fmt, scope=scope, base_iri=base_iri), skip * batch_size, None)
    while True:
        batch = store.new_batch()
        if not batch.add_ox(quads, batch_size):
            return
        yield batch


def _counted(batches: Iterator, bar) -> Iterator:
    """``batches``, advancing the progress bar by each batch's triples."""
    for batch in batches:
        bar.update(len(batch))
        yield batch


def _opening(store, batches: Iterator, validation: Future, sha: str, path: Path, fmt: str,
             action: str) -> tuple[int, int, int]:
    """The opening transaction (see the module docstring): ``(triples added, batches, triples read)``."""
    early: list = []  # kept, so that a retried transaction writes the same batches

    def work(tx, fresh: bool) -> tuple[int, int]:
        tx.run(_CREATE, sha256=sha, path=str(path), format=fmt, triples_read=None,
               batch_size=store.batch_size).consume()
        added = 0
        try:
            for number in range(1, store.opening_batches + 1):
                if number > len(early):
                    batch = next(batches, None)
                    if batch is None:
                        break
                    early.append(batch)
                added += store.write_in(tx, early[number - 1], {"sha256": sha, "batches_done": number}, fresh)
        except Exception:
            invalid = validation.exception()  # a syntax error explains a failed write best
            if invalid is not None:
                raise invalid from None
            raise
        read = validation.result()[1]  # waits; a ParseError rolls the transaction back
        tx.run(_SET_READ, sha256=sha, triples_read=read).consume()
        return added, read

    added, read = store.run_write(work, action)
    return added, len(early), read


def import_file(store, path: Path, format: str | None = None, base_iri: str | None = None) -> ImportResult:
    """Import one file into ``store`` (a :class:`~kg.neo4j_store.Neo4jStore`), resumably.

    Args:
        store: The open Neo4j store.
        path (Path): The RDF file (optionally ``.gz``).
        format (str, optional): Format name; detected when ``None``. (default: ``None``)
        base_iri (str, optional): Base of relative IRIs; the file's ``file://`` URI when
            ``None``. Pass the same one when resuming. (default: ``None``)

    Returns:
        ImportResult: ``extra`` has ``sha256``, ``batches``, ``resumed_from_batch``
        and ``skipped`` (the file was already fully imported).

    Raises:
        ParseError: a syntax error; nothing from the file was written.
        Neo4jUnavailable: the connection dropped; rerun to resume.
    """
    from kg.parse import detect_format
    from core.progress import progress

    start = time.perf_counter()
    path = Path(path)
    sha = file_sha256(path)
    scope = sha[:16]  # the parser's blank-node scope (kg.parse.file_scope)
    action = f"importing {path}"
    rows = store.run(_GET, action, read=True, sha256=sha)
    record = rows[0] if rows else None
    if record and record["status"] == "done":
        log.info("%s: already imported (sha256 %s)", path, sha)
        return ImportResult(
            str(path), record["format"], record["triples_read"], 0, time.perf_counter() - start,
            extra={"sha256": sha, "skipped": True, "batches": record["batches_done"], "resumed_from_batch": None},
        )
    if record is None:
        fmt, batch_size, done = detect_format(path, format), store.batch_size, 0
        validation = _validation(path, fmt, base_iri)
        read = None
    else:
        fmt, read = record["format"], record["triples_read"]
        batch_size, done = record["batch_size"], record["batches_done"]
        log.info("%s: resuming after %d committed batches", path, done)
    added = opened = 0
    with progress(total=read and max(read - done * batch_size, 0), desc=path.name, unit="triple") as bar:
        batches = _counted(_batches(store, path, fmt, scope, done, batch_size, base_iri), bar)
        if record is None:
            added, opened, read = _opening(store, batches, validation, sha, path, fmt, action)
            bar.total = read
            bar.refresh()
        checkpoints = ({"sha256": sha, "batches_done": n} for n in itertools.count(done + opened + 1))
        more, written = store.write_batches(zip(batches, checkpoints), action)
    added += more
    batches_total = done + opened + written
    store.run(_FINISH, action, sha256=sha)
    seconds = time.perf_counter() - start
    log.info("%s: %d triples read, %d added in %.2fs", path, read, added, seconds)
    return ImportResult(
        str(path), fmt, read, added, seconds,
        extra={"sha256": sha, "skipped": False, "batches": batches_total, "resumed_from_batch": done or None},
    )
