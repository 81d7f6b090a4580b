"""Validate an RDF file in a child process: ``python -m kg.validate_worker PATH FORMAT [BASE_IRI]``.

The Neo4j import validates a large file while it already writes the first
batches (:mod:`kg.neo4j_store.importer`). Parsing is CPU-bound Python-level
iteration, so on a thread it would hold the interpreter lock against the
thread that feeds the server; a child process parses on another core. The
child prints one JSON object: ``{"format", "triples"}`` or ``{"error":
{...}}`` describing the :class:`~core.errors.ParseError` or other kgft error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def validate_in_child(path: Path, fmt: str, base_iri: str | None = None) -> tuple[str, int]:
    """:func:`kg.parse.validate` run by ``python -m kg.validate_worker`` (on another core, no GIL).

    Raises:
        ParseError: the file has a syntax error (file, line, column, reason).
        DataError: the file cannot be read, or the child process failed.
    """
    import os
    import subprocess

    import kg
    from core.errors import DataError, ParseError

    env = dict(os.environ)
    root = str(Path(kg.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    argv = [sys.executable, "-m", "kg.validate_worker", str(path), fmt, *([base_iri] if base_iri else [])]
    proc = subprocess.run(argv,
                          capture_output=True, text=True, env=env, check=False)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        raise DataError(f"cannot validate {path}: the validating process failed ({proc.stderr.strip()[-300:]})") \
            from None
    error = out.get("error")
    if error is None:
        return out["format"], out["triples"]
    if error["kind"] == "parse":
        raise ParseError(error["path"], error["reason"], line=error["line"], column=error["column"],
                         hint=error["hint"])
    raise DataError(error["message"])


def main(argv: list[str] | None = None) -> int:
    """The child: validate ``PATH FORMAT [BASE_IRI]`` and print the JSON result (always exits 0)."""
    from core.errors import KgftError, ParseError
    from kg.parse import validate

    path, fmt, *base = argv if argv is not None else sys.argv[1:]
    try:
        fmt, triples = validate(path, fmt, base_iri=base[0] if base else None)
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
