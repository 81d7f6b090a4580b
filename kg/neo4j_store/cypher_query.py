"""User Cypher queries for ``kgft query cypher``: read-only unless asked, values as parameters.

Two independent guards keep a query read-only:

1. The server plans the query with ``EXPLAIN`` (nothing runs) and reports its
   type: ``r`` (read), ``rw``/``w`` (writes) or ``s`` (schema). Anything but
   ``r`` is refused without ``write=True``, with a one-line error.
2. The query then runs in a session opened with ``READ_ACCESS``; the server
   itself rejects any write attempted there.

Parameter values are sent as Cypher ``$parameters``, never spliced in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Iterable

from core.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CURIE = re.compile(r"^([A-Za-z][\w-]*):([^\s/][^\s]*)?$")
_QUERY_TYPES = {"r": "read", "rw": "read-write", "w": "write", "s": "schema write"}


@dataclass
class CypherResult:
    """Rows returned by a Cypher query.

    Args:
        columns (list[str]): Column names.
        rows (list[list]): Values as plain Python data (nodes and relationships
            become their property maps).
        query_type (str): ``r``, ``rw``, ``w`` or ``s`` as the server reported it.
        counters (dict): Update counters (only for writes).
    """

    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    query_type: str = "r"
    counters: dict = field(default_factory=dict)


def parse_param(spec: str) -> tuple[str, object]:
    """Turn ``name=value`` into a Cypher parameter.

    Values: ``<iri>`` and ``prefix:local`` with a known prefix (see
    :data:`kg.sparql_query.PARAM_PREFIXES`) → the IRI string; integers and decimals →
    numbers; ``true``/``false``/``null``; JSON lists and maps (``[...]``,
    ``{...}``); ``"text"`` → the text without quotes; anything else → the
    string as typed.

    Raises:
        ConfigError: a malformed spec, name or JSON value.
    """
    from kg.sparql_query import PARAM_PREFIXES

    name, sep, value = spec.partition("=")
    name = name.strip().lstrip("$")
    if not sep or not _NAME.match(name):
        raise ConfigError(f"bad --param {spec!r}", hint="use NAME=VALUE and $NAME in the query")
    if value.startswith("<") and value.endswith(">") and len(value) > 2:
        return name, value[1:-1]
    curie = _CURIE.match(value)
    if curie and curie.group(1) in PARAM_PREFIXES:
        return name, PARAM_PREFIXES[curie.group(1)] + (curie.group(2) or "")
    if re.fullmatch(r"[+-]?\d+", value):
        return name, int(value)
    if re.fullmatch(r"[+-]?(\d+\.\d*|\d*\.\d+)([eE][+-]?\d+)?", value):
        return name, float(value)
    if value in ("true", "false", "null") or value[:1] in ("[", "{"):
        try:
            return name, json.loads(value)
        except ValueError as exc:
            raise ConfigError(f"bad JSON in --param {name}: {exc}") from exc
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return name, value[1:-1]
    return name, value


_EXPLAIN = "EXPLAIN "
_POSITION = re.compile(r"\(line 1, column (\d+) \(offset: (\d+)\)\)")


def _plan_text(text: str) -> str:
    """The statement to ``EXPLAIN`` (a user's own EXPLAIN/PROFILE prefix is replaced)."""
    return _EXPLAIN + re.sub(r"^\s*(EXPLAIN|PROFILE)\b", "", text, count=1, flags=re.I)


def _plan(session, text: str, values: dict) -> str:
    """The server's query type for ``text``; syntax errors point into the user's own text."""
    from neo4j.exceptions import CypherSyntaxError

    from core.errors import StoreError

    plan = _plan_text(text)
    try:
        return session.run(plan, values).consume().query_type or "r"
    except CypherSyntaxError as exc:
        shift = len(plan) - len(text)
        message = _POSITION.sub(
            lambda m: f"(line 1, column {int(m.group(1)) - shift} (offset: {int(m.group(2)) - shift}))",
            exc.message or "",
        ).replace(plan, text)
        raise StoreError(f"Cypher syntax error: {message}") from exc


def run_cypher(store, text: str, params: Iterable[str] = (), write: bool = False) -> CypherResult:
    """Run one Cypher statement on a :class:`~kg.neo4j_store.Neo4jStore`.

    Args:
        store: The open Neo4j store.
        text (str): The Cypher statement.
        params (Iterable[str]): ``NAME=VALUE`` specs (see :func:`parse_param`).
        write (bool): Allow updates (runs in ``WRITE_ACCESS``). (default: ``False``)

    Returns:
        CypherResult: Columns and rows.

    Raises:
        ConfigError: the query would write and ``write`` is false, or a bad parameter.
        StoreError: the server rejected the query (syntax, missing parameter...).
        Neo4jUnavailable: the server cannot be reached.
    """
    from kg.neo4j_store.connection import translate_errors

    values = dict(parse_param(spec) for spec in params)
    with translate_errors(store.uri, "planning the query"), store.session(read=True) as session:
        query_type = _plan(session, text, values)
    if query_type != "r" and not write:
        raise ConfigError(
            f"refusing a {_QUERY_TYPES.get(query_type, query_type)} Cypher query in read-only mode",
            hint="pass --write to allow updates",
        )
    with translate_errors(store.uri, "running the query"), store.session(read=not write) as session:
        result = session.run(text, values)
        columns = list(result.keys())
        rows = [[record.data()[c] for c in columns] for record in result]
        counters = result.consume().counters
    changed = {k: v for k, v in vars(counters).items() if not k.startswith("_") and v}
    return CypherResult(columns, rows, query_type, changed if write else {})


def _cell(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def format_cypher(result: CypherResult, fmt: str = "table") -> str:
    """Render as a text table, JSON (native values) or CSV; ends with a newline.

    Args:
        result (CypherResult): What :func:`run_cypher` returned.
        fmt (str): ``table``, ``json`` or ``csv``. (default: ``"table"``)
    """
    from kg.sparql_query import SparqlResult, format_result

    if not result.columns and fmt != "json":
        return ""  # an update without RETURN: the counters are reported separately
    if fmt == "json":
        rows = [dict(zip(result.columns, row)) for row in result.rows]
        return json.dumps({"columns": result.columns, "rows": rows}, indent=2, ensure_ascii=False, default=str) + "\n"
    text_rows = [[_cell(v) for v in row] for row in result.rows]
    return format_result(SparqlResult("SELECT", list(result.columns), text_rows), fmt)
