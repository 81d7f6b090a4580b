"""W3C RDF 1.1 test suites through ``kgft ontology import``/``export``, as rdflib and Oxigraph run them.

The suites (N-Triples, N-Quads, Turtle, TriG, RDF/XML) come from the offline
mirror (``$KGFT_DATA_MIRROR/w3c-rdf11/<suite>/manifest.ttl``). Every manifest
is one test per kind of entry, driven in-process through click's CliRunner:

- positive syntax: the file imports (exit 0);
- negative syntax: the import fails with a ``file:line`` error, and the store
  stays empty;
- evaluation (Turtle, RDF/XML, TriG): import then export gives a graph
  isomorphic to the expected N-Triples/N-Quads, every term kept exactly
  (rdflib's literal normalization off; XML literals compared by their
  lexical forms, which rdflib would compare as parsed XML; language tags
  compared in lower case, their value space in RDF 1.1, which lets a parser
  lower-case them), except the :data:`KNOWN_FAILURES`.
  kgft keeps one graph, so a TriG result's named graphs are compared merged.

All syntax and evaluation tests also run against the real Neo4j server
(``neo4j`` marker), the evaluation tests through ``export_store`` (what
``kgft ontology export --neo4j`` runs) on a store that keeps language tags
(``keep_lang``). Each test's nodes are removed afterwards.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import skip_unless_ci

BASE = "https://w3c.github.io/rdf-tests/rdf/rdf11/"
SUITES = ("rdf-n-triples", "rdf-n-quads", "rdf-turtle", "rdf-trig", "rdf-xml")
KINDS = ("positive", "negative", "eval")
_RDFT = "http://www.w3.org/ns/rdftest#"
_MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"


# Known failures, kept exact (a fix makes the test fail until it is removed here). None left:
# RDF/XML's XML literals are canonicalized at import (kg.xml_literal).
KNOWN_FAILURES: dict[tuple[str, str], set[str]] = {}


def _suite_root() -> Path | None:
    mirror = os.environ.get("KGFT_DATA_MIRROR")
    root = Path(mirror) / "w3c-rdf11" if mirror else None
    return root if root is not None and root.is_dir() else None


def _kind(test_type: str) -> str | None:
    name = test_type.removeprefix(_RDFT)
    for suffix, kind in (("PositiveSyntax", "positive"), ("NegativeSyntax", "negative"), ("NegativeEval", "negative"),
                         ("Eval", "eval")):
        if name.endswith(suffix):
            return kind
    return None


def _entries(suite: str) -> dict[str, list[tuple[str, Path, Path | None]]]:
    """``{kind: [(name, action file, result file or None)]}`` from a suite's manifest."""
    from rdflib import RDF, Graph, URIRef

    root = _suite_root() / suite
    base = f"{BASE}{suite}/"
    manifest = Graph().parse(root / "manifest.ttl", format="turtle", publicID=base + "manifest.ttl")

    def local(iri) -> Path:
        return root / str(iri).removeprefix(base)

    entries: dict[str, list] = {kind: [] for kind in KINDS}
    for test, test_type in manifest.subject_objects(RDF.type):
        kind = _kind(str(test_type))
        if kind is None:
            continue
        result = manifest.value(test, URIRef(_MF + "result"))
        entries[kind].append((str(manifest.value(test, URIRef(_MF + "name"))),
                              local(manifest.value(test, URIRef(_MF + "action"))),
                              local(result) if result is not None else None))
    return {kind: sorted(found) for kind, found in entries.items()}


def _manifest_params():
    if _suite_root() is None:  # the test then skips, or fails in CI (tests.conftest.skip_unless_ci)
        return [pytest.param(None, None, id="no-w3c-suites")]
    return [pytest.param(suite, kind, id=f"{suite}-{kind}") for suite in SUITES for kind in KINDS
            if _entries(suite)[kind]]


def _base_iri(suite: str, action: Path) -> str:
    return f"{BASE}{suite}/{action.relative_to(_suite_root() / suite).as_posix()}"


def _import(store, suite: str, action: Path) -> str | None:
    """Import one test file as ``kgft ontology import --base`` does; the one-line error, or ``None``."""
    from core.errors import KgftError

    try:
        store.import_file(action, base_iri=_base_iri(suite, action))
    except KgftError as exc:
        return exc.user_message()
    return None


def _rejected_with_a_line(error: str | None, action: Path) -> str | None:
    """What is wrong with a negative test's outcome (``None``: rejected with ``file:line``)."""
    if error is None:
        return "accepted"
    if not re.match(rf"{re.escape(str(action))}:\d+(:\d+)?: ", error):
        return f"no file:line in {error!r}"
    return None


def _graph(path: Path, fmt: str):
    """The file as an rdflib graph (named graphs merged), lexical forms exactly as written."""
    import warnings

    import rdflib
    from rdflib import Dataset, Graph

    normalize, rdflib.NORMALIZE_LITERALS = rdflib.NORMALIZE_LITERALS, False
    try:
        if fmt == "nquads":
            merged = Graph()
            with warnings.catch_warnings():  # rdflib's N-Quads reader uses its own deprecated API
                warnings.simplefilter("ignore", DeprecationWarning)
                for s, p, o, _ in Dataset().parse(path, format="nquads").quads():
                    merged.add((s, p, o))
        else:
            merged = Graph().parse(path, format=fmt)
        return _lower_language_tags(merged)
    finally:
        rdflib.NORMALIZE_LITERALS = normalize


def _lower_language_tags(graph):
    """``graph`` with language tags in lower case (RDF 1.1: tags compare case-insensitively), XML literals as text."""
    from rdflib import RDF, Graph, Literal, URIRef

    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.language:
            o = Literal(str(o), lang=o.language.lower())
        elif isinstance(o, Literal) and o.datatype == RDF.XMLLiteral:  # by lexical form, not rdflib's parsed XML
            o = Literal(str(o), datatype=URIRef("urn:kgft-test:xml-literal"))
        out.add((s, p, o))
    return out


def _round_trip(store, out: Path, suite: str, action: Path, expected: Path) -> str | None:
    """What is wrong with an evaluation test (``None``: the export is isomorphic to the expected graph)."""
    from kg.export import export_store

    store.oxigraph.clear()
    if (error := _import(store, suite, action)) is not None:
        return f"import failed: {error}"
    export_store(store, out, "nt")  # what kgft ontology export runs
    return _compare(out, expected)


def _compare(out: Path, expected: Path) -> str | None:
    """What differs between an exported N-Triples file and a test's expected result (``None``: isomorphic)."""
    from rdflib.compare import isomorphic, to_isomorphic

    got = _graph(out, "nt")
    want = _graph(expected, "nquads" if expected.suffix == ".nq" else "nt")
    if isomorphic(got, want):
        return None
    missing, extra = to_isomorphic(want) - to_isomorphic(got), to_isomorphic(got) - to_isomorphic(want)
    return f"not isomorphic: missing {sorted(missing)[:3]}, extra {sorted(extra)[:3]}"


def _failures(store, suite: str, kind: str, out: Path) -> dict[str, str]:
    """``{test name: what went wrong}`` for every entry of one kind in a suite's manifest."""
    failures = {}
    for name, action, expected in _entries(suite)[kind]:
        if kind == "eval":
            problem = _round_trip(store, out, suite, action, expected)
        elif kind == "positive":
            problem = _import(store, suite, action)
        else:
            problem = _rejected_with_a_line(_import(store, suite, action), action)
            if problem is None and store.count() != 0:
                problem = "rejected, but triples were written"
        if problem is not None:
            failures[name] = problem
    return failures


@pytest.mark.parametrize("suite,kind", _manifest_params())
def test_w3c_manifest(tmp_path, suite, kind):
    from kg.embedded import EmbeddedStore

    if suite is None:
        skip_unless_ci("KGFT_DATA_MIRROR has no w3c-rdf11")
    with EmbeddedStore(tmp_path / "store") as store:
        failures = _failures(store, suite, kind, tmp_path / "export.nt")
    known = KNOWN_FAILURES.get((suite, kind), set())
    unexpected = {name: problem for name, problem in failures.items() if name not in known}
    assert unexpected == {}, f"{len(unexpected)} of {len(_entries(suite)[kind])} {suite} {kind} tests fail"
    assert known - set(failures) == set(), "known failures that pass now: remove them from KNOWN_FAILURES"


def test_the_cli_gives_what_the_library_gives(runner, tmp_path):
    """A sample of Turtle tests through ``kgft ontology import --base``/``export`` (the rest use the same calls)."""
    from cli import cli

    if _suite_root() is None:
        skip_unless_ci("KGFT_DATA_MIRROR has no w3c-rdf11")
    entries = _entries("rdf-turtle")
    store = ["--store", str(tmp_path / "store")]
    _, bad, _ = entries["negative"][0]
    rejected = runner.invoke(cli, ["ontology", "import", str(bad), *store, "--base", _base_iri("rdf-turtle", bad)])
    assert rejected.exit_code == 1 and re.match(rf"Error: {re.escape(str(bad))}:\d+(:\d+)?: ", rejected.output)
    name, action, expected = next(e for e in entries["eval"] if e[0] == "turtle-subm-01")  # relative IRIs
    imported = runner.invoke(cli, ["ontology", "import", str(action), *store, "--base",
                                   _base_iri("rdf-turtle", action), "-q"])
    assert imported.exit_code == 0, imported.output
    exported = runner.invoke(cli, ["ontology", "export", *store, "-o", str(tmp_path / "out.nt"), "-q"])
    assert exported.exit_code == 0, exported.output
    from rdflib.compare import isomorphic

    assert isomorphic(_graph(tmp_path / "out.nt", "nt"), _graph(expected, "nt")), name


def _node_iris(suite: str, action: Path) -> set[str]:
    """The IRIs a test file makes nodes of (subjects and IRI objects)."""
    import pyoxigraph as ox

    from kg.parse import iter_quads

    return {term.value for quad in iter_quads(action, base_iri=_base_iri(suite, action))
            for term in (quad.subject, quad.object) if type(term) is ox.NamedNode}


def _bnodes(action: Path) -> str:
    """The ``uri`` prefix of a file's blank nodes in Neo4j (the parser scopes them by the file's hash)."""
    from kg.parse import file_sha256

    return f"bnode://k{file_sha256(action)[:16]}"


def _existing(store, iris: set[str]) -> set[str]:
    rows = store.run("MATCH (n:Resource) WHERE n.uri IN $iris RETURN n.uri AS uri", "checking", read=True,
                     iris=sorted(iris))
    return {row["uri"] for row in rows}


def _clean_neo4j(store, iris: set[str], files: list[Path]) -> None:
    """Delete exactly what the test wrote: its new IRI nodes, its files' blank nodes and import records."""
    from kg.parse import file_sha256

    store.run("UNWIND $iris AS iri MATCH (n:Resource {uri: iri}) DETACH DELETE n", "cleaning up", iris=sorted(iris))
    store.delete([_bnodes(f) for f in files])
    for f in files:
        store.forget_import(file_sha256(f))


def _neo4j_failures(store, suite: str, kind: str, new_iris: set[str]) -> dict[str, str]:
    """``{test name: what went wrong}`` for one kind of syntax test imported into Neo4j."""
    from kg.neo4j_store.schema import IMPORT_LABEL
    from kg.parse import file_sha256

    failures = {}
    for name, action, _ in _entries(suite)[kind]:
        if kind == "positive":
            iris = _node_iris(suite, action)
            new_iris |= iris - _existing(store, iris)
            problem = _import(store, suite, action)
        else:
            problem = _rejected_with_a_line(_import(store, suite, action), action)
            records = store.run(f"MATCH (r:{IMPORT_LABEL} {{sha256: $sha}}) RETURN count(r) AS n", "checking",
                                read=True, sha=file_sha256(action))
            if problem is None and records[0]["n"]:
                problem = "rejected, but an import was recorded"
        if problem is not None:
            failures[name] = problem
    return failures


def _neo4j_params(kinds: tuple[str, ...]):
    if _suite_root() is None:
        return [pytest.param(None, None, id="no-w3c-suites")]
    return [pytest.param(suite, kind, id=f"{suite}-{kind}") for suite in SUITES for kind in kinds
            if _entries(suite)[kind]]


@pytest.mark.neo4j
@pytest.mark.parametrize("suite,kind", _neo4j_params(("positive", "negative")))
def test_w3c_syntax_on_neo4j(neo4j_settings, suite, kind):
    from kg.neo4j_store import Neo4jStore

    if suite is None:
        skip_unless_ci("KGFT_DATA_MIRROR has no w3c-rdf11")
    new_iris: set[str] = set()
    with Neo4jStore(neo4j_settings) as store:
        try:
            failures = _neo4j_failures(store, suite, kind, new_iris)
        finally:
            _clean_neo4j(store, new_iris, [action for _, action, _ in _entries(suite)[kind]])
    assert failures == {}, f"{len(failures)} of {len(_entries(suite)[kind])} {suite} {kind} tests fail on Neo4j"


class _Scoped:
    """The triples of one test's subjects in a shared Neo4j database: what ``export_store`` reads of it."""

    def __init__(self, store, iris: set[str], bnodes: str) -> None:
        self.store, self.iris, self.bnodes = store, iris, bnodes

    def triples(self):
        from rdflib import BNode

        for s, p, o in self.store.triples(sorted(self.iris) + [self.bnodes]):  # prefixes: filtered to exact IRIs
            if str(s) in self.iris or (isinstance(s, BNode) and f"bnode://{s}".startswith(self.bnodes)):
                yield s, p, o


def _neo4j_round_trip(store, out: Path, suite: str, action: Path, expected: Path) -> str | None:
    """What is wrong with an evaluation test on Neo4j (``None``: the export is isomorphic to the expected graph)."""
    from kg.export import export_store

    iris = _node_iris(suite, action)
    if taken := _existing(store, iris):
        return f"IRIs already in the database (another run?): {sorted(taken)[:3]}"
    try:
        if (error := _import(store, suite, action)) is not None:
            return f"import failed: {error}"
        export_store(_Scoped(store, iris, _bnodes(action)), out, "nt")  # what kgft ontology export --neo4j runs
        return _compare(out, expected)
    finally:
        _clean_neo4j(store, iris, [action])


@pytest.mark.neo4j
@pytest.mark.parametrize("suite,kind", _neo4j_params(("eval",)))
def test_w3c_evaluation_on_neo4j(neo4j_settings, tmp_path, suite, kind):
    """Import then export through Neo4j (language tags kept: ``keep_lang``), each test's nodes removed after it."""
    from kg.neo4j_store import Neo4jStore

    if suite is None:
        skip_unless_ci("KGFT_DATA_MIRROR has no w3c-rdf11")
    failures = {}
    with Neo4jStore(neo4j_settings, keep_lang=True) as store:
        for name, action, expected in _entries(suite)[kind]:
            if (problem := _neo4j_round_trip(store, tmp_path / "export.nt", suite, action, expected)) is not None:
                failures[name] = problem
    known = KNOWN_FAILURES.get((suite, kind), set())
    unexpected = {name: problem for name, problem in failures.items() if name not in known}
    assert unexpected == {}, f"{len(unexpected)} of {len(_entries(suite)[kind])} {suite} {kind} tests fail on Neo4j"
    assert known - set(failures) == set(), "known failures that pass now: remove them from KNOWN_FAILURES"


def _subjects_only(path: Path, iris: set[str], bnodes: str, out: Path) -> Path:
    """The triples of ``path`` (N-Triples) whose subject is one of ``iris`` or under ``bnodes``, written to ``out``."""
    import pyoxigraph as ox

    def mine(subject) -> bool:
        return subject.value in iris if type(subject) is ox.NamedNode else f"bnode://{subject.value}".startswith(bnodes)

    triples = [t for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES) if mine(t.subject)]
    ox.serialize(triples, output=str(out), format=ox.RdfFormat.N_TRIPLES)
    return out


@pytest.mark.neo4j
def test_the_cli_round_trips_through_neo4j(runner, neo4j_settings, tmp_path):
    """``kgft ontology import --neo4j --base`` then ``kgft ontology export --neo4j`` (relative IRIs, typed forms)."""
    from cli import cli
    from kg.neo4j_store import Neo4jStore

    if _suite_root() is None:
        skip_unless_ci("KGFT_DATA_MIRROR has no w3c-rdf11")
    entries = _entries("rdf-turtle")["eval"]
    with Neo4jStore(neo4j_settings) as store:
        for name in ("turtle-subm-01", "turtle-subm-19", "turtle-subm-26"):
            _, action, expected = next(e for e in entries if e[0] == name)
            iris = _node_iris("rdf-turtle", action)
            assert not _existing(store, iris), "IRIs already in the database (another run?)"
            try:
                imported = runner.invoke(cli, ["ontology", "import", str(action), "--neo4j", "--base",
                                               _base_iri("rdf-turtle", action), "-q"])
                assert imported.exit_code == 0, imported.output
                exported = runner.invoke(cli, ["ontology", "export", "--neo4j", "-o", str(tmp_path / "all.nt"), "-q"])
                assert exported.exit_code == 0, exported.output
                mine = _subjects_only(tmp_path / "all.nt", iris, _bnodes(action), tmp_path / "mine.nt")
                assert _compare(mine, expected) is None, name
            finally:
                _clean_neo4j(store, iris, [action])
