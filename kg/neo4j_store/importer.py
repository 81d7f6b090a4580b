"""File imports that resume from a checkpoint recorded per file.

Guarantee (documented choice: *resumable*, not a single transaction):

1. The file is first parsed to the end without writing anything (validation
   pass), so a syntax error, invalid UTF-8 or an unknown format leaves
   nothing from that file in the store.
2. A ``:_KgftImport {sha256, path, format, batch_size, triples_read,
   batches_done, triples_added, status}`` node is created. The key is the
   SHA-256 of the file's bytes, so a renamed copy is the same import and an
   edited file is a new one.
3. Triples are written in batches of ``batch_size``; each batch is one
   transaction that also advances ``batches_done``. A batch is therefore
   committed together with its checkpoint or not at all. Batches are written
   in order by one writer thread while the next batch is parsed.
4. After a crash, a dropped connection or Ctrl-C, running the same import
   again skips the committed batches and writes the rest. Because every write
   has MERGE semantics, even replaying a batch would not duplicate anything;
   the checkpoint only saves the work. The run ends with exactly the counts a
   clean import gives.
5. When all batches are in, ``status`` becomes ``"done"``; importing the file
   again then returns at once with ``triples_added == 0``.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from pathlib import Path

from kg.errors import DataError
from kg.neo4j_store.cypher import IMPORT_LABEL
from kg.store import ImportResult

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
_FINISH = f"MATCH (r:{IMPORT_LABEL} {{sha256: $sha256}}) SET r.status = 'done', r.finished = datetime()"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (as stored, compressed or not).

    Raises:
        DataError: the file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def import_file(store, path: Path, format: str | None = None) -> ImportResult:
    """Import one file into ``store`` (a :class:`~kg.neo4j_store.Neo4jStore`), resumably.

    Args:
        store: The open Neo4j store.
        path (Path): The RDF file (optionally ``.gz``).
        format (str, optional): Format name; detected when ``None``. (default: ``None``)

    Returns:
        ImportResult: ``extra`` has ``sha256``, ``batches``, ``resumed_from_batch``
        and ``skipped`` (the file was already fully imported).

    Raises:
        ParseError: a syntax error; nothing from the file was written.
        Neo4jUnavailable: the connection dropped; rerun to resume.
    """
    from kg.parse import iter_quads, validate
    from kg.progress import progress

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
        fmt, read = validate(path, format, scope=scope)
        record = store.run(
            _CREATE, action, sha256=sha, path=str(path), format=fmt, triples_read=read, batch_size=store.batch_size
        )[0]
    fmt, read = record["format"], record["triples_read"]
    batch_size, done = record["batch_size"], record["batches_done"]
    if done:
        log.info("%s: resuming after %d committed batches", path, done)
    quads = itertools.islice(iter_quads(path, fmt, scope=scope), done * batch_size, None)
    bar = progress(quads, total=max(read - done * batch_size, 0), desc=path.name, unit="triple")

    def batches():
        number = done
        while True:
            batch = store.new_batch()
            if not batch.add_ox(bar, batch_size):
                return
            number += 1
            yield batch, {"sha256": sha, "batches_done": number}

    added, written = store.write_batches(batches(), action)
    batches_total = done + written
    store.run(_FINISH, action, sha256=sha)
    seconds = time.perf_counter() - start
    log.info("%s: %d triples read, %d added in %.2fs", path, read, added, seconds)
    return ImportResult(
        str(path), fmt, read, added, seconds,
        extra={"sha256": sha, "skipped": False, "batches": batches_total, "resumed_from_batch": done or None},
    )
