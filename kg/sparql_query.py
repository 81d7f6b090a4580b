"""Read-only SPARQL on the embedded store, with values passed only as parameters.

The query text is parsed with rdflib's SPARQL grammar to tell a query
(SELECT/ASK/CONSTRUCT/DESCRIBE) from an update (INSERT/DELETE/LOAD/CLEAR/
DROP/CREATE/...); updates are refused unless the caller allows writes.
Parameter values are bound to variables with a trailing ``VALUES`` clause
built from validated RDF terms (serialized by pyoxigraph, so quotes, braces
and keywords inside a value stay inside its literal); the user's text is
never edited. The prefixes of :data:`PARAM_PREFIXES` are predeclared.

Limits: a query or update runs in a child process (:mod:`kg.query_worker`)
that is stopped after ``timeout`` seconds (:data:`DEFAULT_TIMEOUT_S`), on
Ctrl-C or on SIGTERM; a stopped update writes nothing. Federated ``SERVICE`` clauses (and ``LOAD``, which fetches a
document) would make requests to other servers, so they are refused unless
the caller allows network access.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from core.errors import ConfigError, DataError, ParseError, StoreError

#: Prefixes accepted in ``--param name=prefix:local`` values (besides the store's own).
PARAM_PREFIXES: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
    "mesh": "http://id.nlm.nih.gov/mesh/2017/",
    "kgft": "https://w3id.org/kgft/vocab#",
}

#: Seconds a query may run before it is stopped (``kgft query sparql --timeout``).
DEFAULT_TIMEOUT_S = 60.0

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LANG = re.compile(r'^"(.*)"@([A-Za-z]+(?:-[A-Za-z0-9]+)*)$', re.S)
_CURIE = re.compile(r"^([A-Za-z][\w-]*):([^\s/][^\s]*)?$")


@dataclass
class SparqlResult:
    """Rows of a SPARQL query (or the outcome of an update).

    Args:
        kind (str): ``SELECT``, ``ASK``, ``CONSTRUCT`` (also for DESCRIBE) or ``UPDATE``.
        columns (list[str]): Column names.
        rows (list[list[str | None]]): Values rendered as text (IRIs plain,
            blank nodes ``_:id``, literals by their lexical form, unbound ``None``).
        boolean (bool, optional): The ASK answer.
    """

    kind: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    boolean: bool | None = None


def read_query_text(text: str) -> str:
    """The query itself, or the contents of a file when ``text`` is ``@FILE``.

    Raises:
        DataError: the file cannot be read.
    """
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read the query file {path}: {exc}") from exc
    return text


def classify(text: str) -> tuple[str, object]:
    """``("query" | "update", parse tree)``, decided by rdflib's SPARQL parser.

    Raises:
        ParseError: the text is neither a valid query nor a valid update
            (position of the query parse error, 1-based).
    """
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        return "query", parseQuery(text)
    except ParseBaseException as query_error:
        try:
            return "update", parseUpdate(text)
        except ParseBaseException:
            reason = " ".join(str(query_error.msg).split())
            raise ParseError(
                "<query>", f"SPARQL syntax error: {reason}", line=query_error.lineno, column=query_error.col
            ) from None


def _operations(tree) -> Iterator[str]:
    """The names of every grammar element in a parse tree (``SelectQuery``, ``ServiceGraphPattern``, ...)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(tree, CompValue):
        yield tree.name
        for value in tree.values():
            yield from _operations(value)
    elif isinstance(tree, (ParseResults, list, tuple)):
        for item in tree:
            yield from _operations(item)


def refuse_network_access(tree) -> None:
    """Refuse a parsed query or update that would contact another server (SERVICE, LOAD).

    Raises:
        ConfigError: the tree holds a federated ``SERVICE`` or a ``LOAD``.
    """
    names = set(_operations(tree))
    for name, what in (("ServiceGraphPattern", "a federated SERVICE query"), ("Load", "LOAD of a remote document")):
        if name in names:
            raise ConfigError(
                f"refusing {what}: it would send a request to another server",
                hint="pass --allow-service to let SPARQL reach the network",
            )


def parse_param(spec: str, prefixes: dict[str, str] | None = None) -> tuple[str, object]:
    """Turn ``name=value`` into ``(name, rdflib term)``.

    Values: ``<iri>`` → IRI; ``prefix:local`` with a known prefix → IRI;
    integers, decimals, ``true``/``false`` → typed literals;
    ``"text"@lang`` → language-tagged literal; ``"text"`` → string without the
    quotes; anything else → a plain string literal.

    Args:
        spec (str): ``NAME=VALUE``.
        prefixes (dict, optional): Extra prefix → namespace map. (default: ``None``)

    Raises:
        ConfigError: a malformed spec or variable name.
    """
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD

    name, sep, value = spec.partition("=")
    name = name.strip().lstrip("?$")
    if not sep or not _NAME.match(name):
        raise ConfigError(f"bad --param {spec!r}", hint="use NAME=VALUE, e.g. --param entity=<http://example.org/x>")
    known = dict(PARAM_PREFIXES, **(prefixes or {}))
    if value.startswith("<") and value.endswith(">") and len(value) > 2:
        import pyoxigraph as ox

        try:
            ox.NamedNode(value[1:-1])
        except ValueError as exc:
            raise ConfigError(f"bad IRI in --param {name}: {exc}") from exc
        return name, URIRef(value[1:-1])
    curie = _CURIE.match(value)
    if curie and curie.group(1) in known:
        return name, URIRef(known[curie.group(1)] + (curie.group(2) or ""))
    if re.fullmatch(r"[+-]?\d+", value):
        return name, Literal(value, datatype=XSD.integer)
    if re.fullmatch(r"[+-]?\d*\.\d+", value):
        return name, Literal(value, datatype=XSD.decimal)
    if value in ("true", "false"):
        return name, Literal(value, datatype=XSD.boolean)
    lang = _LANG.match(value)
    if lang:
        return name, Literal(lang.group(1), lang=lang.group(2))
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return name, Literal(value[1:-1])
    return name, Literal(value)


def run_sparql(store, text: str, params: Iterable[str] = (), write: bool = False,
               timeout: float | None = DEFAULT_TIMEOUT_S, allow_service: bool = False) -> SparqlResult:
    """Run SPARQL on an embedded store.

    A query or update runs in a child process, stopped after ``timeout``
    seconds or on Ctrl-C/SIGTERM (:mod:`kg.query_worker`); an update is
    all-or-nothing, so a stopped one leaves the store as it was.

    Args:
        store (EmbeddedStore): The store (needs its rdflib ``graph``).
        text (str): The query or update.
        params (Iterable[str]): ``NAME=VALUE`` bindings (see :func:`parse_param`). (default: ``()``)
        write (bool): Allow updates. (default: ``False``)
        timeout (float, optional): Seconds a query or update may run; ``None`` or ``0``: no limit.
            (default: :data:`DEFAULT_TIMEOUT_S`)
        allow_service (bool): Allow federated ``SERVICE`` and ``LOAD`` (network access). (default: ``False``)

    Returns:
        SparqlResult: The rows, the ASK answer, or for an update the triple
        count change (column ``triples_added``, negative when removed).

    Raises:
        ParseError: invalid SPARQL.
        ConfigError: an update without ``write``, bad params, params with an update,
            SERVICE or LOAD without ``allow_service``.
        StoreError: the store has no SPARQL graph, the engine refused the query,
            or it ran past ``timeout``.
        KeyboardInterrupt: Ctrl-C or SIGTERM stopped the query or update.
    """
    from kg.query_worker import query_in_child

    graph = getattr(store, "graph", None)
    if graph is None:
        raise StoreError("SPARQL needs the embedded store", hint="use `kgft query cypher` for Neo4j")
    kind, tree = classify(text)
    if not allow_service:
        refuse_network_access(tree)
    bindings = dict(parse_param(spec) for spec in params)
    if kind == "update":
        if not write:
            raise ConfigError(
                "refusing to run a SPARQL update (INSERT/DELETE/LOAD/CLEAR/DROP/CREATE) read-only",
                hint="pass --write to modify the store",
            )
        if bindings:
            raise ConfigError("--param is only supported for queries, not updates")
        before = store.count()
        prefixes = _prefixes(graph)
        with store.lent() as directory:
            query_in_child(directory, text, prefixes, timeout or None, update=True)
        return SparqlResult("UPDATE", ["triples_added"], [[str(store.count() - before)]])
    if bindings:
        text = with_values(text, bindings)
    result = query_in_child(store.directory, text, _prefixes(graph), timeout or None)
    return SparqlResult(result["kind"], result["columns"], result["rows"], boolean=result.get("boolean"))


def _prefixes(graph) -> dict[str, str]:
    """The prefixes predeclared for SPARQL: the graph's bindings and :data:`PARAM_PREFIXES`."""
    return dict({prefix: str(ns) for prefix, ns in graph.namespaces()}, **PARAM_PREFIXES)


def with_values(text: str, bindings: dict) -> str:
    """``text`` followed by a ``VALUES`` clause binding each parameter to its term.

    Args:
        text (str): A SPARQL query without a trailing ``VALUES`` clause.
        bindings (dict): Variable name → rdflib term (from :func:`parse_param`).

    Raises:
        ConfigError: a value is not a valid RDF term, or the query already ends
            with ``VALUES``.
    """
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery

    from kg.terms import to_ox

    cells = []
    for name, term in bindings.items():
        try:
            cells.append(str(to_ox(term)))
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"bad value for --param {name}: {exc}") from exc
    names = " ".join(f"?{name}" for name in bindings)
    full = f"{text}\nVALUES ({names}) {{ ({' '.join(cells)}) }}\n"
    try:
        parseQuery(full)
    except ParseBaseException as exc:
        raise ConfigError(
            "cannot bind --param values to this query", hint="remove its own trailing VALUES clause"
        ) from exc
    return full


def format_result(result: SparqlResult, fmt: str = "table") -> str:
    """Render a result as an aligned text table, JSON or CSV (ends with a newline).

    Args:
        result (SparqlResult): What :func:`run_sparql` returned.
        fmt (str): ``table``, ``json`` or ``csv``. (default: ``"table"``)
    """
    if fmt == "json":
        if result.kind == "ASK":
            return json.dumps({"boolean": result.boolean}) + "\n"
        rows = [dict(zip(result.columns, row)) for row in result.rows]
        return json.dumps({"columns": result.columns, "rows": rows}, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([["" if v is None else v for v in row] for row in result.rows])
        return buf.getvalue()
    if fmt != "table":
        raise ConfigError(f"unknown output format {fmt!r}", hint="use table, json or csv")
    cells = [result.columns] + [["" if v is None else v for v in row] for row in result.rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(result.columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(lines) + "\n"
