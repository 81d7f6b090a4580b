"""Neo4jStore against the real Neo4j server (n10s model, resumable imports, read-only Cypher).

Every test writes under its own IRI namespace and deletes exactly what it
wrote (its namespace, its files' blank nodes and import records), so it can
share the server with other test runs; counts are taken per namespace.
"""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path

import pytest
import rdflib
from rdflib import BNode, Literal, URIRef

from core.errors import ConfigError, Neo4jUnavailable, ParseError, StoreError
from kg.evidence import PathPolicy, path_finder
from kg.neo4j_store import Neo4jStore
from kg.parse import file_sha256

pytestmark = pytest.mark.neo4j

NASTY = "'}) DETACH DELETE n // \"quoted\" {braces: $param} ; MATCH (m) RETURN m `tick` \\ end"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"


def ontology(ns: str) -> str:
    """A small OWL/SKOS ontology in namespace ``ns`` (every IRI is unique to one test)."""
    nasty = NASTY.replace("\\", "\\\\").replace('"', '\\"')
    return f"""@prefix : <{ns}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
:Animal a owl:Class ; rdfs:label "Animal"@en , "Tier"@de , "Animal"@fr ; skos:altLabel "beast" .
:Dog a owl:Class ; rdfs:subClassOf :Animal , [ a owl:Restriction ; owl:onProperty :eats ; owl:someValuesFrom :Food ] .
:Cat owl:equivalentClass :Feline ; skos:broader :Animal .
:eats a owl:ObjectProperty ; rdfs:domain :Animal ; rdfs:range :Food ; rdfs:subPropertyOf :consumes .
:rex a :Dog ; :age "3"^^xsd:integer ; :weight "12.5"^^xsd:decimal ; :note "{nasty}" .
<{ns}p')$x;y> a owl:AnnotationProperty .
:rex <{ns}p')$x;y> "odd predicate" .
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rdflib_triples(path: Path) -> set:
    graph = rdflib.Graph()
    graph.parse(str(path))
    return set(graph)


def isomorphic(triples: set, expected: set) -> bool:
    """Same graph up to blank-node ids (rdflib's parser invents its own)."""
    from rdflib.compare import isomorphic as iso

    one, two = rdflib.Graph(), rdflib.Graph()
    for t in triples:
        one.add(t)
    for t in expected:
        two.add(t)
    return iso(one, two)


@pytest.fixture
def ns() -> str:
    return f"http://kgft.test/{uuid.uuid4().hex}/"


@pytest.fixture
def cleanup(neo4j_settings, ns):
    """Collects files whose data (and import records) must be removed after the test."""
    files: list[Path] = []
    yield files
    with Neo4jStore(neo4j_settings) as store:
        prefixes = [ns] + [f"bnode://k{file_sha256(f)[:16]}" for f in files if f.exists()]
        store.delete(prefixes)
        for f in files:
            if f.exists():
                store.forget_import(file_sha256(f))


@pytest.fixture
def store(neo4j_settings):
    with Neo4jStore(neo4j_settings, keep_lang=True) as st:
        yield st


def scope_of(*files: Path) -> list[str]:
    return [f"bnode://k{file_sha256(f)[:16]}" for f in files]


def test_import_round_trips_and_reimport_changes_nothing(store, ns, cleanup, tmp_path):
    path = write(tmp_path / "onto.ttl", ontology(ns))
    cleanup.append(path)
    expected = rdflib_triples(path)
    scope = [ns, *scope_of(path)]
    first = store.import_file(path)
    assert first.triples_added == len(expected)
    assert store.count(scope) == len(expected)
    assert isomorphic(set(store.triples(scope)), expected)  # IRIs, blank nodes, datatypes, language tags
    again = store.import_file(path)
    assert (again.triples_added, again.extra["skipped"]) == (0, True)
    # Forget the checkpoint: the full rewrite goes through MERGE and still adds nothing.
    store.forget_import(first.extra["sha256"])
    rewrite = store.import_file(path)
    assert (rewrite.triples_added, rewrite.extra["skipped"]) == (0, False)
    assert store.count(scope) == len(expected)


def test_owl_structure_is_kept_as_edges(store, ns, cleanup, tmp_path):
    path = write(tmp_path / "onto.ttl", ontology(ns))
    cleanup.append(path)
    store.import_file(path)
    rows = store.run(
        "MATCH (c:Resource {uri: $dog})-[s]->(r)-[p]->(prop:Resource {uri: $eats}), (r)-[v]->(f:Resource {uri: $food}) "
        "WHERE type(s) = $sub AND type(p) = $on AND type(v) = $some "
        "RETURN r.uri AS r, labels(r) AS labels",
        "test",
        read=True,
        dog=ns + "Dog", eats=ns + "eats", food=ns + "Food",
        sub=RDFS + "subClassOf", on=OWL + "onProperty", some=OWL + "someValuesFrom",
    )
    assert len(rows) == 1 and rows[0]["r"].startswith("bnode://k")
    assert OWL + "Restriction" in rows[0]["labels"]
    triples = set(store.triples([ns]))
    for s, p, o in [
        ("Cat", OWL + "equivalentClass", "Feline"),
        ("Cat", "http://www.w3.org/2004/02/skos/core#broader", "Animal"),
        ("eats", RDFS + "domain", "Animal"),
        ("eats", RDFS + "range", "Food"),
        ("eats", RDFS + "subPropertyOf", "consumes"),
    ]:
        assert (URIRef(ns + s), URIRef(p), URIRef(ns + o)) in triples
    labels = set(store.labels())
    assert (ns + "Animal", RDFS + "label", "Tier") in labels
    assert (ns + "Animal", "http://www.w3.org/2004/02/skos/core#altLabel", "beast") in labels


def test_nasty_literal_and_predicate_are_stored_verbatim_and_never_executed(store, ns, cleanup, tmp_path):
    sentinel = URIRef(ns + "sentinel")
    store.add_triples([(sentinel, URIRef(RDFS + "label"), Literal("still here"))])
    path = write(tmp_path / "onto.ttl", ontology(ns))
    cleanup.append(path)
    store.import_file(path)
    triples = set(store.triples([ns]))
    assert (URIRef(ns + "rex"), URIRef(ns + "note"), Literal(NASTY)) in triples
    assert (URIRef(ns + "rex"), URIRef(ns + "p')$x;y"), Literal("odd predicate")) in triples
    assert (sentinel, URIRef(RDFS + "label"), Literal("still here")) in triples
    assert store.count([ns + "sentinel"]) == 1


def test_language_tags_dropped_by_default(neo4j_settings, ns, cleanup, tmp_path):
    path = write(tmp_path / "onto.ttl", ontology(ns))
    cleanup.append(path)
    with Neo4jStore(neo4j_settings) as plain:
        plain.import_file(path)
        labels = {o for s, p, o in plain.triples([ns + "Animal"]) if p == URIRef(RDFS + "label")}
    # "Animal"@en and "Animal"@fr become one plain value (the n10s default).
    assert labels == {Literal("Animal"), Literal("Tier")}


def test_blank_nodes_of_two_files_never_collide(store, ns, cleanup, tmp_path):
    one = write(tmp_path / "one.ttl", f'_:b <{ns}p> "one" .\n<{ns}a> <{ns}q> _:b .\n')
    two = write(tmp_path / "two.ttl", f'_:b <{ns}p> "two" .\n<{ns}a> <{ns}q> _:b .\n')
    cleanup.extend([one, two])
    assert store.import_file(one).triples_added == 2
    assert store.import_file(two).triples_added == 2
    scope = [ns, *scope_of(one, two)]
    assert store.count(scope) == 4
    blanks = {o for s, p, o in store.triples(scope) if p == URIRef(ns + "q")}
    assert len(blanks) == 2 and all(isinstance(b, BNode) for b in blanks)


class CrashingStore(Neo4jStore):
    """Fails after ``ok`` batches committed after the opening transaction's two: raising, or
    closing the driver (a dropped connection)."""

    def __init__(self, *args, ok: int, how: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.opening_batches = 2
        self.ok, self.how, self.calls = ok, how, 0

    def write_batch(self, batch, checkpoint=None, action="writing triples"):
        self.calls += 1
        if self.calls > self.ok:
            if self.how == "raise":
                raise RuntimeError("simulated crash")
            self._driver.close()
        return super().write_batch(batch, checkpoint, action)


def big_file(tmp_path: Path, ns: str, n: int = 1200) -> Path:
    lines = []
    for i in range(n // 3):
        lines.append(f'<{ns}e{i}> <{ns}next> <{ns}e{i + 1}> .')
        lines.append(f'<{ns}e{i}> <{RDFS}label> "entity {i}" .')
        lines.append(f'<{ns}e{i}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{ns}Thing> .')
    return write(tmp_path / "big.nt", "\n".join(lines) + "\n")


@pytest.mark.parametrize("how", ["raise", "close"])
def test_crash_mid_import_then_rerun_ends_with_exact_counts(neo4j_settings, ns, cleanup, tmp_path, how):
    path = big_file(tmp_path, ns)
    cleanup.append(path)
    expected = rdflib_triples(path)
    crashing = CrashingStore(neo4j_settings, batch_size=100, ok=3, how=how)
    error = RuntimeError if how == "raise" else Neo4jUnavailable
    with pytest.raises(error) as info:
        crashing.import_file(path)
    crashing.close()
    if how == "close":
        message = info.value.user_message()
        assert "\n" not in message and "rerun" in message
    with Neo4jStore(neo4j_settings, batch_size=999) as store:  # the recorded batch size (100) wins
        partial = store.count([ns])
        assert 0 < partial < len(expected)
        result = store.import_file(path)
        assert result.extra["resumed_from_batch"] == 2 + 3
        assert result.triples_added == len(expected) - partial
        assert store.count([ns]) == len(expected)
        assert set(store.triples([ns])) == expected
        assert store.import_file(path).triples_added == 0


def test_syntax_error_writes_nothing(store, ns, cleanup, tmp_path):
    good = "\n".join(f"<{ns}a{i}> <{ns}p> <{ns}b{i}> ." for i in range(300))
    path = write(tmp_path / "bad.nt", good + f"\n<{ns}x> <{ns}p> oops .\n")
    cleanup.append(path)
    with pytest.raises(ParseError) as info:
        store.import_file(path)
    assert "bad.nt:301" in info.value.user_message()
    assert store.count([ns]) == 0


def test_invalid_iri_is_refused(store, ns):
    with pytest.raises(StoreError, match="not an absolute IRI"):
        store.add_triples([(URIRef(ns + "a"), URIRef(ns + "has space"), Literal("x"))])
    assert store.count([ns]) == 0


def test_relationship_type_is_validated_and_quoted():
    from kg.neo4j_store.schema import quote_token

    assert quote_token("http://example.org/p") == "`http://example.org/p`"
    for bad in ("http://x/a`b", "http://x/a b", "p", "http://x/}) DETACH DELETE (n"):
        with pytest.raises(StoreError, match="not an absolute IRI"):
            quote_token(bad)


def plan_operators(plan: dict) -> list[str]:
    ops = [plan["operatorType"].split("@")[0]]
    for child in plan.get("children", []):
        ops += plan_operators(child)
    return ops


def test_relationship_merge_expands_into_and_never_scans_all_relationships(store):
    """The supernode/empty-store regression: no per-row scan of all relationships, whatever the statistics."""
    from kg.neo4j_store.schema import quote_token
    from kg.neo4j_store.write import _CREATE_RELS, _MERGE_RELS

    rel_type = quote_token("http://example.org/kgft-test/p")
    with store.session() as session:
        for statement in (_MERGE_RELS, _CREATE_RELS):
            query = statement.replace("{rel_type}", rel_type)
            ops = plan_operators(session.run("EXPLAIN " + query, rows=[]).consume().plan)
            assert not [op for op in ops if "RelationshipsScan" in op or "RelationshipTypeScan" in op], ops
            # endpoints by element id (a record read), not by another uri index seek
            assert ops.count("NodeByElementIdSeek") == 2, ops
            assert not [op for op in ops if "Scan" in op or "IndexSeek" in op], ops
        assert "Expand(Into)" in plan_operators(
            session.run("EXPLAIN " + _MERGE_RELS.replace("{rel_type}", rel_type), rows=[]).consume().plan
        )


def test_node_statements_seek_the_uri_index(store):
    from kg.neo4j_store.write import _LOOKUP, _MERGE_BARE_NODES, _UPSERT_NODES

    with store.session() as session:
        for query in (_LOOKUP, _UPSERT_NODES, _MERGE_BARE_NODES):
            ops = plan_operators(session.run("EXPLAIN " + query, rows=[], uris=[]).consume().plan)
            assert [op for op in ops if op.startswith("NodeUniqueIndexSeek")], ops
            assert not [op for op in ops if "Scan" in op], ops


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_server_is_one_line_via_cli(runner, monkeypatch, tmp_path):
    from cli import cli

    monkeypatch.setenv("NEO4J_URI", f"bolt://127.0.0.1:{closed_port()}")
    path = write(tmp_path / "x.nt", "<http://kgft.test/a> <http://kgft.test/p> <http://kgft.test/b> .\n")
    for args in (["ontology", "import", str(path), "--neo4j"], ["query", "cypher", "RETURN 1"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "cannot reach Neo4j" in lines[0], result.output


def test_cli_import_stats_and_cypher(runner, ns, cleanup, tmp_path):
    from cli import cli

    path = write(tmp_path / "onto.ttl", ontology(ns))
    cleanup.append(path)
    result = runner.invoke(cli, ["ontology", "import", str(path), "--neo4j", "--quiet"])
    assert result.exit_code == 0, result.output
    # The default store drops language tags (n10s default): "Animal"@en and "Animal"@fr become one value.
    assert f"{len(rdflib_triples(path)) - 1} added" in result.output
    result = runner.invoke(cli, ["ontology", "stats", "--neo4j", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["triples"] >= len(rdflib_triples(path)) - 1
    query = "MATCH (n:Resource {uri: $uri}) RETURN n.uri AS uri, n[$key] AS notes"
    result = runner.invoke(
        cli, ["query", "cypher", query, "--param", f"uri=<{ns}rex>", "--param", f"key={ns}note", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == [{"uri": ns + "rex", "notes": [NASTY]}]
    args = ["query", "cypher", query, "--param", f"uri={NASTY}", "--param", "key=x", "--format", "csv"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0 and result.output == "uri,notes\n"


def test_cypher_is_read_only_unless_write(runner, neo4j_settings, ns):
    from cli import cli

    create = "CREATE (n:Resource {uri: $uri}) RETURN n.uri AS uri"
    result = runner.invoke(cli, ["query", "cypher", create, "--param", f"uri={ns}made"])
    assert result.exit_code == 1
    assert "read-only" in result.output and "--write" in result.output
    with Neo4jStore(neo4j_settings) as store:
        assert not store.run("MATCH (n:Resource {uri: $u}) RETURN n", "t", read=True, u=ns + "made")
        # The second guard: the READ_ACCESS session itself refuses writes.
        with pytest.raises(Exception, match="read access mode"), store.session(read=True) as session:
            session.run("CREATE (n:Resource {uri: $u})", u=ns + "made").consume()
        result = runner.invoke(cli, ["query", "cypher", create, "--param", f"uri={ns}made", "--write"])
        assert result.exit_code == 0 and ns + "made" in result.output
        assert store.delete([ns]) == 1


def test_evidence_paths_avoid_blank_nodes_and_bound_hops(store, ns, cleanup, tmp_path):
    path = write(tmp_path / "onto.ttl", ontology(ns))
    cleanup.append(path)
    store.import_file(path)
    finder = path_finder(store)
    paths = finder.shortest_paths(ns + "Dog", [ns + "Food", ns + "Animal"], PathPolicy())
    assert [[(s.subject, s.predicate, s.object, s.forward) for s in p.steps] for p in paths] == [
        [(ns + "Dog", RDFS + "subClassOf", ns + "Animal", True)]
    ]
    # the 2-step walk through the restriction's blank node is never taken
    (food,) = finder.shortest_paths(ns + "Dog", [ns + "Food"], PathPolicy())
    assert [(s.subject, s.predicate, s.object) for s in food.steps] == [
        (ns + "Dog", RDFS + "subClassOf", ns + "Animal"),
        (ns + "eats", RDFS + "domain", ns + "Animal"),
        (ns + "eats", RDFS + "range", ns + "Food"),
    ]
    # the hop bound is spliced into the Cypher text, so it is validated first
    with pytest.raises(StoreError, match="between 1 and 32"):
        finder.shortest_paths(ns + "Dog", [ns + "Food"], PathPolicy(max_hops=33))
    with pytest.raises(ConfigError, match="max_hops must be a positive integer"):
        PathPolicy(max_hops="3}) DETACH DELETE n //")


def test_the_cli_names_an_interrupted_neo4j_import_and_a_rerun_resumes_it(neo4j_settings, ns, cleanup, tmp_path,
                                                                         runner, monkeypatch):
    """Ctrl-C after the opening transaction (150,000 triples in 50,000-triple batches): the command says
    to run it again, and running it again imports the rest from the last committed batch."""
    from cli import cli

    path = write(tmp_path / "big.nt", "".join(f"<{ns}e{i}> <{ns}next> <{ns}e{i + 1}> .\n" for i in range(210_000)))
    cleanup.append(path)
    write_batch = Neo4jStore.write_batch

    def interrupt(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Neo4jStore, "write_batch", interrupt)
    first = runner.invoke(cli, ["ontology", "import", str(path), "--neo4j", "-q"])
    assert first.exit_code == 1
    assert first.output.splitlines()[-1] == (
        f"Error: interrupted while importing {path}: run the import again to resume it from its last committed batch")
    monkeypatch.setattr(Neo4jStore, "write_batch", write_batch)
    with Neo4jStore(neo4j_settings) as store:
        assert store.count([ns]) == 150_000
    again = runner.invoke(cli, ["ontology", "import", str(path), "--neo4j", "-q"])
    assert again.exit_code == 0, again.output
    assert f"{path}: 210000 triples read, 60000 added" in again.output
    with Neo4jStore(neo4j_settings) as store:
        assert store.count([ns]) == 210_000
