"""One suite for both stores (embedded rdflib/Oxigraph and the real Neo4j server).

The ``neo4j`` half talks to the shared server (``kgft neo4j start``); each of
its tests starts from an empty database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Literal, URIRef

from kg.errors import ParseError
from kg.store import LABEL_PREDICATES, Store

EX = "http://example.org/onto#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SYNONYM = "http://www.geneontology.org/formats/oboInOwl#hasExactSynonym"
NASTY = 'He said "MATCH (n) DETACH DELETE n" {x: $y} ; RETURN 1 // \' `CALL` \\ end'

TINY_TTL = r"""@prefix : <http://example.org/onto#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix oboInOwl: <http://www.geneontology.org/formats/oboInOwl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

:Animal a owl:Class ; rdfs:label "Animal" ; skos:altLabel "beast" .
:Dog a owl:Class ; rdfs:subClassOf :Animal ; rdfs:label "Dog" ;
    oboInOwl:hasExactSynonym "domestic dog" ;
    rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :eats ; owl:someValuesFrom :Food ] .
:Food a owl:Class ; skos:prefLabel "Food" .
:eats a owl:ObjectProperty ; rdfs:domain :Animal ; rdfs:range :Food ; rdfs:label "eats" .
:rex a owl:NamedIndividual , :Dog ; rdfs:label "Rex" ; :eats :bone ; :age "3"^^xsd:integer .
:bone a :Food ; skos:hiddenLabel "bone" ; skos:broader _:thing .
_:thing rdfs:label "a thing" .
:weird rdfs:comment "He said \"MATCH (n) DETACH DELETE n\" {x: $y} ; RETURN 1 // ' `CALL` \\ end" .
"""

PATH_TTL = """@prefix : <http://example.org/onto#> .
:a :p :b . :b :q :c . :c :p :d . :a :r :x . :y :p :a . :z :p :z2 .
"""


def rdflib_count(path: Path) -> int:
    """The triple count rdflib reports for a file (the reference)."""
    import rdflib

    graph = rdflib.Graph()
    graph.parse(str(path))
    return len(graph)


@pytest.fixture(params=["embedded", "neo4j"])
def store(request, tmp_path) -> Store:
    """An empty store of each kind."""
    if request.param == "embedded":
        from kg.embedded import EmbeddedStore

        st = EmbeddedStore(tmp_path / "store")
    else:
        settings = request.getfixturevalue("neo4j_settings")
        driver = request.getfixturevalue("neo4j_driver")
        with driver.session(database=settings.database) as session:
            session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
        from kg.neo4j_store import Neo4jStore

        st = Neo4jStore(settings)
    yield st
    st.close()


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.ttl"
    path.write_text(TINY_TTL, encoding="utf-8")
    return path


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_store_implements_protocol(store):
    assert isinstance(store, Store)


def test_import_matches_rdflib_and_reimport_adds_nothing(store, tiny):
    expected = rdflib_count(tiny)
    first = store.import_file(tiny)
    assert first.format == "turtle"
    assert first.triples_read == expected
    assert first.triples_added == expected
    assert store.count() == expected
    again = store.import_file(tiny)
    assert again.triples_added == 0
    assert store.count() == expected


def test_owl_structure_and_verbatim_literals_are_kept(store, tiny):
    store.import_file(tiny)
    triples = set(store.triples())
    assert (URIRef(EX + "Dog"), URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"), URIRef(EX + "Animal")) in triples
    assert (URIRef(EX + "eats"), URIRef("http://www.w3.org/2000/01/rdf-schema#domain"), URIRef(EX + "Animal")) in triples
    restriction = [s for s, p, o in triples if o == URIRef("http://www.w3.org/2002/07/owl#Restriction")]
    assert len(restriction) == 1 and isinstance(restriction[0], BNode)
    assert (restriction[0], URIRef("http://www.w3.org/2002/07/owl#onProperty"), URIRef(EX + "eats")) in triples
    comments = [o for s, p, o in triples if s == URIRef(EX + "weird")]
    assert comments == [Literal(NASTY)]
    ages = [o for s, p, o in triples if p == URIRef(EX + "age")]
    assert [int(a) for a in ages] == [3]


def test_blank_nodes_are_scoped_per_file(store, tmp_path):
    one = write(tmp_path, "one.ttl", '_:x <http://e/p> "one" .\n<http://e/a> <http://e/q> _:x .\n')
    two = write(tmp_path, "two.ttl", '_:x <http://e/p> "two" .\n<http://e/a> <http://e/q> _:x .\n')
    assert store.import_file(one).triples_added == 2
    assert store.import_file(two).triples_added == 2
    assert store.count() == 4
    assert store.import_file(one).triples_added == 0
    assert len({o for s, p, o in store.triples() if p == URIRef("http://e/q")}) == 2


def test_syntax_error_names_line_and_leaves_store_unchanged(store, tiny, tmp_path):
    store.import_file(tiny)
    before = store.count()
    bad = write(
        tmp_path,
        "bad.ttl",
        "@prefix : <http://example.org/bad#> .\n:a :b :c .\n:a :b :c ; ; ] .\n:d :e :f .\n",
    )
    with pytest.raises(ParseError) as info:
        store.import_file(bad)
    assert info.value.line == 3
    assert info.value.column == 14
    assert "bad.ttl:3:14" in info.value.user_message()
    assert store.count() == before
    assert not [t for t in store.triples() if str(t[0]).startswith("http://example.org/bad#")]


def test_empty_file_imports_nothing(store, tmp_path):
    result = store.import_file(write(tmp_path, "empty.nt", ""))
    assert (result.triples_read, result.triples_added) == (0, 0)
    assert store.count() == 0


def test_invalid_utf8_is_a_clear_error(store, tmp_path):
    bad = write(tmp_path, "latin.nt", '<http://e/a> <http://e/b> "ok" .\n<http://e/a> <http://e/b> "caf\xe9" .\n'.encode("latin-1"))
    with pytest.raises(ParseError) as info:
        store.import_file(bad)
    message = info.value.user_message()
    assert "UTF-8" in message and "latin.nt:2" in message
    assert store.count() == 0


def test_add_triples_counts_new_ones(store):
    triples = [
        (URIRef(EX + "a"), URIRef(RDFS_LABEL), Literal("A")),
        (URIRef(EX + "a"), URIRef(EX + "rel"), URIRef(EX + "b")),
    ]
    assert store.add_triples(triples, source="test") == 2
    assert store.add_triples(triples) == 0
    assert set(store.triples()) == set(triples)


def test_labels_include_synonyms(store, tiny):
    store.import_file(tiny)
    labels = set(store.labels())
    assert (EX + "Dog", RDFS_LABEL, "Dog") in labels
    assert (EX + "Dog", SYNONYM, "domestic dog") in labels
    assert (EX + "Animal", "http://www.w3.org/2004/02/skos/core#altLabel", "beast") in labels
    assert (EX + "Food", "http://www.w3.org/2004/02/skos/core#prefLabel", "Food") in labels
    assert (EX + "bone", "http://www.w3.org/2004/02/skos/core#hiddenLabel", "bone") in labels
    assert all(pred in LABEL_PREDICATES for _, pred, _ in labels)
    assert not [entity for entity, _, text in labels if text == "a thing"]  # blank nodes are not entities
    assert len(labels) == 8


def test_stats(store, tiny):
    store.import_file(tiny)
    stats = store.stats()
    assert stats["triples"] == rdflib_count(tiny)
    assert stats["classes"] == 3  # Animal, Dog, Food
    assert stats["individuals"] == 2  # rex (NamedIndividual), bone (a :Food)
    assert stats["properties"] == 1  # eats
    assert stats["labelled"] == 6  # Animal, Dog, Food, eats, rex, bone
    assert stats["predicates"][RDFS_LABEL] == 5
    assert stats["predicates"]["http://www.w3.org/2000/01/rdf-schema#subClassOf"] == 2


def test_shortest_paths(store, tmp_path):
    store.import_file(write(tmp_path, "paths.ttl", PATH_TTL))
    paths = store.shortest_paths(EX + "a", [EX + "c", EX + "y", EX + "z"])
    assert paths == [
        [(EX + "y", EX + "p", EX + "a")],
        [(EX + "a", EX + "p", EX + "b"), (EX + "b", EX + "q", EX + "c")],
    ]
    # walked backwards: triples keep their stored orientation
    assert store.shortest_paths(EX + "d", [EX + "a"]) == [
        [(EX + "c", EX + "p", EX + "d"), (EX + "b", EX + "q", EX + "c"), (EX + "a", EX + "p", EX + "b")]
    ]
    assert store.shortest_paths(EX + "d", [EX + "a"], max_hops=2) == []
    assert store.shortest_paths(EX + "a", [EX + "a"]) == [[]]


# ---------------------------------------------------------------- real data


@pytest.fixture(scope="session")
def real_files(mirror, tmp_path_factory) -> dict[str, tuple[Path, int]]:
    """pizza.owl and the converted MeSH tree, opinion lexicon and WN18RR, with rdflib's counts."""
    from kg.convert import convert_mesh_tree, convert_opinion_lexicon, convert_triples_tsv

    out = tmp_path_factory.mktemp("converted")
    files = {"pizza": mirror / "owl" / "pizza.owl"}
    files["mesh"] = Path(convert_mesh_tree(mirror / "mesh" / "2017MeshTree.txt", out / "mesh.ttl").output)
    files["lexicon"] = Path(convert_opinion_lexicon(mirror / "opinion-lexicon", out / "lexicon.ttl").output)
    files["wn18rr"] = Path(convert_triples_tsv(mirror / "wn18rr", out / "wn18rr.ttl").output)
    return {name: (path, rdflib_count(path)) for name, path in files.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["pizza", "mesh", "lexicon", "wn18rr"])
def test_real_ontology_counts_match_rdflib(store, real_files, name):
    path, expected = real_files[name]
    result = store.import_file(path)
    assert result.triples_added == expected
    assert store.count() == expected
    assert store.stats()["triples"] == expected


def test_export_round_trip(store, tiny, tmp_path):
    from kg.export import export_store

    store.import_file(tiny)
    out = tmp_path / "export.nt"
    assert export_store(store, out, "nt") == rdflib_count(tiny)
    assert rdflib_count(out) == rdflib_count(tiny)
