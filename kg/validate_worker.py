"""Validate an RDF file in a child process: ``python -m kg.validate_worker PATH FORMAT``.

The Neo4j import validates a large file while it already writes the first
batches (:mod:`kg.neo4j_store.importer`). Parsing is CPU-bound Python-level
iteration, so on a thread it would hold the interpreter lock against the
thread that feeds the server; a child process parses on another core. The
child prints one JSON object: ``{"format", "triples"}`` or ``{"error":
{...}}`` describing the :class:`~kg.errors.ParseError` or other kgft error.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str] | None = None) -> int:
    from kg.errors import KgftError, ParseError
    from kg.parse import validate

    path, fmt = (argv if argv is not None else sys.argv[1:])[:2]
    try:
        fmt, triples = validate(path, fmt)
        out: dict = {"format": fmt, "triples": triples}
    except ParseError as exc:
        out = {"error": {"kind": "parse", "path": exc.path, "reason": exc.reason, "line": exc.line,
                         "column": exc.column, "hint": exc.hint}}
    except KgftError as exc:
        out = {"error": {"kind": type(exc).__name__, "message": exc.user_message()}}
    sys.stdout.write(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
