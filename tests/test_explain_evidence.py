"""Graph evidence: shortest paths known by hand, on the embedded store and on Neo4j alike."""

from __future__ import annotations

import uuid

import pytest

from explain_fixtures import tiny_ontology

from kg.evidence import PathPolicy, path_finder

SKOS = "http://www.w3.org/2004/02/skos/core#"
BROADER = SKOS + "broader"


@pytest.fixture(scope="module")
def namespace() -> str:
    return f"http://kgft.test/explain/{uuid.uuid4().hex}/"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, namespace):
    from kg.embedded import EmbeddedStore

    folder = tmp_path_factory.mktemp("evidence")
    ttl = folder / "tiny.ttl"
    ttl.write_text(tiny_ontology(namespace), encoding="utf-8")
    store = EmbeddedStore(folder / "store")
    store.import_file(ttl)
    yield store
    store.close()


@pytest.fixture(scope="module")
def neo4j(tmp_path_factory, namespace, neo4j_settings):
    from kg.neo4j_store import Neo4jStore

    ttl = tmp_path_factory.mktemp("evidence_neo4j") / "tiny.ttl"
    ttl.write_text(tiny_ontology(namespace), encoding="utf-8")
    store = Neo4jStore(neo4j_settings)
    store.import_file(ttl)
    yield store
    store.run(
        "MATCH (b:Resource)--(n:Resource) WHERE b.uri STARTS WITH 'bnode://' AND n.uri STARTS WITH $ns "
        "DETACH DELETE b",
        "cleaning up the test graph",
        ns=namespace,
    )
    store.delete([namespace])
    store.close()


def _triples(paths):
    return [[(s.subject, s.predicate, s.object, s.forward) for s in p.steps] for p in paths]


def expected(ns: str) -> dict:
    e = lambda name: ns + name  # noqa: E731
    return {
        ("Adenoma", "C04", "forward"): [[(e("Adenoma"), BROADER, e("D1"), True), (e("D1"), BROADER, e("C04"), True)]],
        ("Adenoma", "C14", "forward"): [],
        ("Adenoma", "C14", "any"): [[
            (e("Adenoma"), BROADER, e("D1"), True),
            (e("D1"), BROADER, e("C04"), True),
            (e("HeartNeoplasms"), BROADER, e("C04"), False),
            (e("HeartNeoplasms"), BROADER, e("HeartDiseases"), True),
            (e("HeartDiseases"), BROADER, e("C14"), True),
        ]],
        ("excellent", "Positive", "any"): [
            [(e("excellent"), e("similarTo"), e("good"), True), (e("good"), e("polarity"), e("Positive"), True)],
            [(e("excellent"), e("similarTo"), e("great"), True), (e("great"), e("polarity"), e("Positive"), True)],
        ],
        ("terrible", "Negative", "any"): [
            [(e("awful"), e("similarTo"), e("terrible"), False), (e("awful"), e("polarity"), e("Negative"), True)]
        ],
        ("terrible", "Negative", "forward"): [],
        ("meh", "Negative", "any"): [],
    }


CASES = list(expected("").keys())


def _check_store(store, ns):
    finder = path_finder(store)
    for (src, dst, direction), want in expected(ns).items():
        got = finder.shortest_paths(ns + src, [ns + dst], PathPolicy(direction=direction))
        assert _triples(got) == want, (src, dst, direction)
    # several targets: the nearest wins; max_paths cuts in the documented order
    both = finder.shortest_paths(ns + "Adenoma", [ns + "C14", ns + "C04"], PathPolicy(direction="any"))
    assert [p.target for p in both] == [ns + "C04"]
    one = finder.shortest_paths(ns + "excellent", [ns + "Positive"], PathPolicy(max_paths=1))
    assert _triples(one) == expected(ns)[("excellent", "Positive", "any")][:1]
    assert finder.shortest_paths(ns + "C04", [ns + "C04"], PathPolicy()) == []
    # a path may be kept from passing through given nodes (the other classes' concepts)
    via_negative = [[(ns + "awful", ns + "polarity", ns + "Negative", True),
                     (ns + "envious", ns + "polarity", ns + "Negative", False),
                     (ns + "envious", ns + "polarity", ns + "Positive", True)]]
    assert _triples(finder.shortest_paths(ns + "awful", [ns + "Positive"], PathPolicy())) == via_negative
    assert finder.shortest_paths(ns + "awful", [ns + "Positive"], PathPolicy(), avoid=[ns + "Negative"]) == []
    # max_hops bounds the search
    assert finder.shortest_paths(ns + "Adenoma", [ns + "C14"], PathPolicy(max_hops=4)) == []
    labels = finder.labels([ns + "C04", ns + "good", ns + "scheme"])
    assert labels == {ns + "C04": "Neoplasms", ns + "good": "good"}
    # the shared Neo4j database may hold other graphs: look only at this test's namespace
    assert [c for c in finder.concepts_labelled("NEOPLASMS") if c.startswith(ns)] == [ns + "C04"]
    return finder


def test_paths_on_the_embedded_store(embedded, namespace):
    _check_store(embedded, namespace)


@pytest.mark.neo4j
def test_paths_on_neo4j_match_the_embedded_store(neo4j, embedded, namespace):
    _check_store(neo4j, namespace)
    a, b = path_finder(embedded), path_finder(neo4j)
    nodes = ["Adenoma", "D1", "HeartNeoplasms", "excellent", "terrible", "awful", "meh", "good"]
    for src in nodes:
        for dst in ("C04", "C14", "Positive", "Negative"):
            for direction in ("any", "forward"):
                policy = PathPolicy(direction=direction, max_paths=10)
                assert a.shortest_paths(namespace + src, [namespace + dst], policy) == b.shortest_paths(
                    namespace + src, [namespace + dst], policy
                ), (src, dst, direction)


def test_policy_validation():
    from core.errors import ConfigError

    with pytest.raises(ConfigError):
        PathPolicy(direction="up")
    with pytest.raises(ConfigError):
        PathPolicy(max_hops=0)
    with pytest.raises(ConfigError, match="max_paths must be a positive integer"):
        PathPolicy(max_paths="3")
    assert PathPolicy(exclude_predicates=()).exclude_predicates == (
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
    )
