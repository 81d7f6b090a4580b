"""One suite for both stores (embedded rdflib/Oxigraph and the real Neo4j server).

The ``neo4j`` half talks to the shared server (``kgft neo4j start``), which
other tests and test runs use at the same time: every test writes only under
its own IRI namespace (``ns``), reads through :func:`count`/:func:`triples`
restricted to it (plus its files' blank nodes), measures statistics as the
change its import made, and deletes exactly what it wrote.
"""

from __future__ import annotations

import urllib.parse
import uuid
from pathlib import Path

import pytest
from rdflib import BNode, Literal, URIRef

from core.errors import ParseError
from kg.evidence import PathPolicy, path_finder
from kg.store_protocol import LABEL_PREDICATES, Store

#: Stands for the test's own namespace in the data below (see the ``ex`` fixture).
EX_TEMPLATE = "http://example.org/onto#"
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


@pytest.fixture
def ns() -> str:
    """This test's IRI namespace: everything it writes lives under it (or is a blank node of its files)."""
    return f"http://kgft.test/{uuid.uuid4().hex}/"


@pytest.fixture
def ex(ns) -> str:
    """The namespace of the test ontologies (``:`` in TINY_TTL and PATH_TTL), inside ``ns``."""
    return ns + "onto#"


def blank_node_prefixes(tmp_path: Path) -> list[str]:
    """Neo4j's IRI prefixes of the blank nodes of every file under ``tmp_path`` (one per file)."""
    from kg.parse import file_sha256

    return [f"bnode://k{file_sha256(f)[:16]}" for f in sorted(tmp_path.rglob("*")) if f.is_file()]


def is_neo4j(store) -> bool:
    return type(store).__name__ == "Neo4jStore"


def count(store, ns: str, tmp_path: Path) -> int:
    """The triples this test wrote (the embedded store is the test's own: all of them)."""
    return store.count([ns, *blank_node_prefixes(tmp_path)]) if is_neo4j(store) else store.count()


def triples(store, ns: str, tmp_path: Path):
    """The triples this test wrote, as rdflib terms."""
    return store.triples([ns, *blank_node_prefixes(tmp_path)]) if is_neo4j(store) else store.triples()


@pytest.fixture(params=["embedded", "neo4j"])
def store(request, tmp_path, ns) -> Store:
    """An empty embedded store, or the shared Neo4j server (cleaned of exactly what the test wrote)."""
    if request.param == "embedded":
        from kg.embedded import EmbeddedStore

        with EmbeddedStore(tmp_path / "store") as st:
            yield st
        return
    from kg.neo4j_store import Neo4jStore
    from kg.parse import file_sha256

    with Neo4jStore(request.getfixturevalue("neo4j_settings")) as st:
        try:
            yield st
        finally:
            st.delete([ns, *blank_node_prefixes(tmp_path)])
            for f in tmp_path.rglob("*"):
                if f.is_file():
                    st.forget_import(file_sha256(f))


@pytest.fixture
def tiny(tmp_path, ex) -> Path:
    path = tmp_path / "tiny.ttl"
    path.write_text(TINY_TTL.replace(EX_TEMPLATE, ex), encoding="utf-8")
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


def test_import_matches_rdflib_and_reimport_adds_nothing(store, tiny, ns, tmp_path):
    expected = rdflib_count(tiny)
    first = store.import_file(tiny)
    assert first.format == "turtle"
    assert first.triples_read == expected
    assert first.triples_added == expected
    assert count(store, ns, tmp_path) == expected
    again = store.import_file(tiny)
    assert again.triples_added == 0
    assert count(store, ns, tmp_path) == expected


def test_owl_structure_and_verbatim_literals_are_kept(store, tiny, ex, ns, tmp_path):
    store.import_file(tiny)
    found = set(triples(store, ns, tmp_path))
    assert (URIRef(ex + "Dog"), URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"), URIRef(ex + "Animal")) in found
    assert (URIRef(ex + "eats"), URIRef("http://www.w3.org/2000/01/rdf-schema#domain"), URIRef(ex + "Animal")) in found
    restriction = [s for s, p, o in found if o == URIRef("http://www.w3.org/2002/07/owl#Restriction")]
    assert len(restriction) == 1 and isinstance(restriction[0], BNode)
    assert (restriction[0], URIRef("http://www.w3.org/2002/07/owl#onProperty"), URIRef(ex + "eats")) in found
    comments = [o for s, p, o in found if s == URIRef(ex + "weird")]
    assert comments == [Literal(NASTY)]
    ages = [o for s, p, o in found if p == URIRef(ex + "age")]
    assert [int(a) for a in ages] == [3]


def test_blank_nodes_are_scoped_per_file(store, ns, tmp_path):
    one = write(tmp_path, "one.ttl", f'_:x <{ns}p> "one" .\n<{ns}a> <{ns}q> _:x .\n')
    two = write(tmp_path, "two.ttl", f'_:x <{ns}p> "two" .\n<{ns}a> <{ns}q> _:x .\n')
    assert store.import_file(one).triples_added == 2
    assert store.import_file(two).triples_added == 2
    assert count(store, ns, tmp_path) == 4
    assert store.import_file(one).triples_added == 0
    assert len({o for s, p, o in triples(store, ns, tmp_path) if p == URIRef(ns + "q")}) == 2


def test_syntax_error_names_line_and_leaves_store_unchanged(store, tiny, ns, tmp_path):
    store.import_file(tiny)
    before = count(store, ns, tmp_path)
    bad = write(
        tmp_path,
        "bad.ttl",
        "@prefix : <http://example.org/bad#> .\n:a :b :c .\n:a :b :c ; ; ] .\n:d :e :f .\n".replace(
            "http://example.org/", ns),
    )
    with pytest.raises(ParseError) as info:
        store.import_file(bad)
    assert info.value.line == 3
    assert info.value.column == 14
    assert "bad.ttl:3:14" in info.value.user_message()
    assert count(store, ns, tmp_path) == before
    assert not [t for t in triples(store, ns, tmp_path) if str(t[0]).startswith(ns + "bad#")]


def test_empty_file_imports_nothing(store, ns, tmp_path):
    result = store.import_file(write(tmp_path, "empty.nt", ""))
    assert (result.triples_read, result.triples_added) == (0, 0)
    assert count(store, ns, tmp_path) == 0


def test_invalid_utf8_is_a_clear_error(store, ns, tmp_path):
    bad = write(tmp_path, "latin.nt", f'<{ns}a> <{ns}b> "ok" .\n<{ns}a> <{ns}b> "caf\xe9" .\n'.encode("latin-1"))
    with pytest.raises(ParseError) as info:
        store.import_file(bad)
    message = info.value.user_message()
    assert "UTF-8" in message and "latin.nt:2" in message
    assert count(store, ns, tmp_path) == 0


def test_add_triples_counts_new_ones(store, ex, ns, tmp_path):
    added = [
        (URIRef(ex + "a"), URIRef(RDFS_LABEL), Literal("A")),
        (URIRef(ex + "a"), URIRef(ex + "rel"), URIRef(ex + "b")),
    ]
    assert store.add_triples(added, source="test") == 2
    assert store.add_triples(added) == 0
    assert set(triples(store, ns, tmp_path)) == set(added)


def test_labels_include_synonyms(store, tiny, ex, ns):
    store.import_file(tiny)
    labels = {row for row in store.labels() if row[0].startswith(ns)}
    assert (ex + "Dog", RDFS_LABEL, "Dog") in labels
    assert (ex + "Dog", SYNONYM, "domestic dog") in labels
    assert (ex + "Animal", "http://www.w3.org/2004/02/skos/core#altLabel", "beast") in labels
    assert (ex + "Food", "http://www.w3.org/2004/02/skos/core#prefLabel", "Food") in labels
    assert (ex + "bone", "http://www.w3.org/2004/02/skos/core#hiddenLabel", "bone") in labels
    assert all(pred in LABEL_PREDICATES for _, pred, _ in labels)
    assert not [entity for entity, _, text in labels if text == "a thing"]  # blank nodes are not entities
    assert len(labels) == 8


def stats_change(before: dict, after: dict) -> dict:
    """What an import added to each statistic (Neo4j also holds other tests' data)."""
    change = {key: after[key] - before[key] for key in ("triples", "classes", "individuals", "properties", "labelled")}
    predicates = {p: n - before["predicates"].get(p, 0) for p, n in after["predicates"].items()}
    return {**change, "predicates": {p: n for p, n in predicates.items() if n}}


def test_stats(store, tiny):
    before = store.stats()
    store.import_file(tiny)
    stats = stats_change(before, store.stats())
    assert stats["triples"] == rdflib_count(tiny)
    assert stats["classes"] == 3  # Animal, Dog, Food
    assert stats["individuals"] == 2  # rex (NamedIndividual), bone (a :Food)
    assert stats["properties"] == 1  # eats
    assert stats["labelled"] == 6  # Animal, Dog, Food, eats, rex, bone
    assert stats["predicates"][RDFS_LABEL] == 5
    assert stats["predicates"]["http://www.w3.org/2000/01/rdf-schema#subClassOf"] == 2


def test_shortest_paths(store, tmp_path, ex):
    store.import_file(write(tmp_path, "paths.ttl", PATH_TTL.replace(EX_TEMPLATE, ex)))
    finder = path_finder(store)

    def walk(source, targets, **policy):
        paths = finder.shortest_paths(ex + source, [ex + t for t in targets], PathPolicy(**policy))
        return [[(s.subject, s.predicate, s.object, s.forward) for s in p.steps] for p in paths]

    # several targets: only the nearest one's paths
    assert walk("a", ["c", "y", "z"]) == [[(ex + "y", ex + "p", ex + "a", False)]]
    assert walk("a", ["c"]) == [[(ex + "a", ex + "p", ex + "b", True), (ex + "b", ex + "q", ex + "c", True)]]
    # walked backwards: triples keep their stored orientation
    assert walk("d", ["a"]) == [
        [(ex + "c", ex + "p", ex + "d", False), (ex + "b", ex + "q", ex + "c", False), (ex + "a", ex + "p", ex + "b", False)]
    ]
    assert walk("d", ["a"], direction="forward") == []
    assert walk("d", ["a"], max_hops=2) == []
    assert walk("a", ["z"]) == []
    assert walk("a", ["a"]) == []


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


def moved_under(path: Path, ns: str, out: Path) -> Path:
    """``path``'s graph as N-Triples with its subject and object IRIs moved under ``ns`` (percent-encoded).

    Neo4j is shared, so a test imports real data into its own namespace; the
    triples stay as many, and predicates and ``rdf:type`` classes (Neo4j labels)
    keep their IRIs.
    """
    import rdflib
    from rdflib.namespace import RDF

    source = rdflib.Graph()
    source.parse(str(path))
    moved = rdflib.Graph()
    for s, p, o in source:
        move_object = isinstance(o, URIRef) and p != RDF.type
        moved.add((URIRef(ns + urllib.parse.quote(s, safe="")) if isinstance(s, URIRef) else s, p,
                   URIRef(ns + urllib.parse.quote(o, safe="")) if move_object else o))
    moved.serialize(str(out), format="nt", encoding="utf-8")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["pizza", "mesh", "lexicon", "wn18rr"])
def test_real_ontology_counts_match_rdflib(store, real_files, name, ns, tmp_path):
    path, expected = real_files[name]
    if is_neo4j(store):
        path = moved_under(path, ns, tmp_path / f"{name}.nt")
    before = store.stats()["triples"]
    result = store.import_file(path)
    assert result.triples_added == expected
    assert count(store, ns, tmp_path) == expected
    assert store.stats()["triples"] - before == expected


class _Scoped:
    """The part of a shared Neo4j store this test wrote, as a store to export."""

    def __init__(self, store, ns: str, tmp_path: Path) -> None:
        self.store, self.ns, self.tmp_path = store, ns, tmp_path

    def triples(self):
        return triples(self.store, self.ns, self.tmp_path)


def test_export_round_trip(store, tiny, ns, tmp_path):
    from kg.export import export_store

    store.import_file(tiny)
    out = tmp_path / "export.nt"
    assert export_store(_Scoped(store, ns, tmp_path) if is_neo4j(store) else store, out, "nt") == rdflib_count(tiny)
    assert rdflib_count(out) == rdflib_count(tiny)
