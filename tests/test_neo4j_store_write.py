"""The write paths of kg.neo4j_store against the real Neo4j server.

The fresh path (lookup, CREATE the missing nodes and their relationships),
the merge path (MERGE everything) and kgft's server procedure must give the
same graph and the same ``triples_added``, from an empty namespace and from
one that already holds some of the nodes, and a writer that creates or
deletes a looked-up node in the middle of a batch must send the batch down
the merge path. Each test writes under its own IRI namespace and deletes it
afterwards.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import rdflib
from rdflib import Literal, URIRef

from kg.neo4j_store import Neo4jStore
from kg.neo4j_store import write as write_module
from kg.parse import file_sha256

pytestmark = pytest.mark.neo4j

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def turtle(ns: str) -> str:
    """Classes, multi-valued literals, typed literals, blank nodes, a cycle and repeated triples."""
    return f"""@prefix : <{ns}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
:A a owl:Class , skos:Concept , owl:Class ; rdfs:label "A" , "a" , "A" ; skos:altLabel "alpha" ; skos:broader :B .
:A skos:broader :B .
:B a owl:Class ; rdfs:label "B" ; skos:broader :C ; :weight "2"^^xsd:integer .
:C skos:broader :A ; :p :D .
:D :p :E .
:E a :Thing ; :p [ a owl:Restriction ; owl:onProperty :p ; rdfs:label "r" ] .
"""


@pytest.fixture
def ns() -> str:
    return f"http://kgft.test/{uuid.uuid4().hex}/"


@pytest.fixture
def source(tmp_path, ns) -> Path:
    path = tmp_path / "onto.ttl"
    path.write_text(turtle(ns), encoding="utf-8")
    return path


@pytest.fixture
def prefixes(ns, source) -> list[str]:
    """The test's namespace and the blank nodes of its file."""
    return [ns, f"bnode://k{file_sha256(source)[:16]}"]


@contextlib.contextmanager
def open_store(settings, prefixes, source, loader: str):
    """A store on ``loader`` whose batches are small; the test's data is deleted afterwards."""
    # batch_size 7 splits the file so that later batches meet nodes earlier ones created
    with Neo4jStore(settings, batch_size=7, loader=loader) as st:
        st.opening_batches = 1  # and most batches are written after the opening transaction
        yield st
        st.delete(prefixes)
        st.forget_import(file_sha256(source))


@pytest.fixture
def store(neo4j_settings, prefixes, source):
    """A store writing through Cypher statements (the fresh and merge paths of kg.neo4j_store.write)."""
    with open_store(neo4j_settings, prefixes, source, "cypher") as st:
        yield st


@pytest.fixture
def plugin_store(neo4j_settings, prefixes, source):
    """A store writing through kgft's server procedure (the server started by `kgft neo4j start` has it)."""
    with open_store(neo4j_settings, prefixes, source, "plugin") as st:
        yield st


def foreign_write(neo4j_driver, query: str, **params) -> None:
    """A committed write by a writer that is not kgft (no writer lock, no schema statements)."""
    neo4j_driver.execute_query(query, params)


def merge_path_only(monkeypatch) -> None:
    monkeypatch.setattr(write_module, "write_batch", functools.partial(write_module.write_batch, fresh=False))


def expected_triples(path: Path) -> set:
    graph = rdflib.Graph()
    graph.parse(str(path))
    return set(graph)


def canonical(triples) -> set:
    """Triples with blank nodes replaced by a placeholder (the parsers name them differently)."""
    def term(t):
        return "_:b" if isinstance(t, rdflib.BNode) else t

    return {(term(s), p, term(o)) for s, p, o in triples}


def seed(store: Neo4jStore, ns: str) -> list[tuple]:
    """Some of the file's triples, a value it does not have and an edge it lacks, written first."""
    triples = [
        (URIRef(ns + "A"), URIRef(LABEL), Literal("A")),  # also in the file: must not be duplicated
        (URIRef(ns + "A"), URIRef(RDF_TYPE), URIRef("http://www.w3.org/2002/07/owl#Class")),
        (URIRef(ns + "B"), URIRef(LABEL), Literal("Bee")),  # not in the file: kept
        (URIRef(ns + "C"), URIRef(ns + "p"), URIRef(ns + "D")),  # also in the file
        (URIRef(ns + "D"), URIRef(ns + "q"), URIRef(ns + "X")),  # not in the file: kept
    ]
    assert store.add_triples(triples) == len(triples)
    return triples


@pytest.mark.parametrize("path", ["fresh", "merge", "plugin"])
@pytest.mark.parametrize("seeded", [False, True], ids=["empty", "seeded"])
def test_every_path_imports_the_same_graph_with_exact_counts(store, plugin_store, ns, prefixes, source,
                                                             monkeypatch, path, seeded):
    if path == "merge":
        merge_path_only(monkeypatch)
    if path == "plugin":
        store = plugin_store
    before = seed(store, ns) if seeded else []
    expected = expected_triples(source) | set(before)
    result = store.import_file(source)
    assert result.triples_added == len(expected) - len(before)
    assert store.count(prefixes) == len(expected)  # counts list elements: a duplicated value would show
    assert canonical(store.triples(prefixes)) == canonical(expected)
    store.forget_import(file_sha256(source))
    again = store.import_file(source)  # checkpoint forgotten: every batch written again, nothing new
    assert again.triples_added == 0
    assert store.count(prefixes) == len(expected)


def test_fresh_path_falls_back_when_another_writer_creates_a_looked_up_node(store, ns, prefixes, source,
                                                                            neo4j_driver, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="kg.neo4j_store.store")
    calls = {"lookups": 0}
    original = write_module._single

    def racing(tx, query, expected, **params):
        out = original(tx, query, expected, **params)
        if query == write_module._LOOKUP and calls["lookups"] == 0:
            calls["lookups"] += 1
            foreign_write(neo4j_driver, "CREATE (:Resource {uri: $uri})", uri=ns + "A")
        return out

    monkeypatch.setattr(write_module, "_single", racing)
    expected = expected_triples(source)
    result = store.import_file(source)
    assert calls["lookups"] == 1
    assert "ConstraintValidationFailed" in caplog.text and "writing it again with MERGE" in caplog.text
    assert result.triples_added == len(expected)
    assert store.count(prefixes) == len(expected)
    assert canonical(store.triples(prefixes)) == canonical(expected)


def test_fresh_path_falls_back_when_another_writer_deletes_a_looked_up_node(store, ns, prefixes, source,
                                                                            neo4j_driver, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="kg.neo4j_store.store")
    store.add_triples([(URIRef(ns + "A"), URIRef(LABEL), Literal("old"))])
    deleted = []
    original = write_module._single

    def racing(tx, query, expected, **params):
        out = original(tx, query, expected, **params)
        if query == write_module._LOOKUP and ns + "A" in params["uris"] and not deleted:
            foreign_write(neo4j_driver, "MATCH (n:Resource {uri: $uri}) DETACH DELETE n", uri=ns + "A")
            deleted.append(True)
        return out

    monkeypatch.setattr(write_module, "_single", racing)
    expected = expected_triples(source)
    result = store.import_file(source)
    assert deleted
    assert "another transaction deleted nodes" in caplog.text and "writing it again with MERGE" in caplog.text
    assert result.triples_added == len(expected)
    assert store.count(prefixes) == len(expected)  # A re-created by the merge path, "old" gone with it
    assert canonical(store.triples(prefixes)) == canonical(expected)


def wait_until_blocked(neo4j_driver, timeout: float = 60.0) -> None:
    """Wait until some transaction waits for a lock (the import, on the other writer's)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records, _, _ = neo4j_driver.execute_query(
            "SHOW TRANSACTIONS YIELD status WHERE status STARTS WITH 'Blocked' RETURN count(*) AS n"
        )
        if records[0]["n"]:
            return
        time.sleep(0.05)
    raise AssertionError("the import never waited for the other writer's lock")


def import_racing(store, source, neo4j_driver, query: str, **params):
    """Import ``source`` while another writer's open transaction ran ``query``; it commits once the import waits."""
    with neo4j_driver.session() as session, ThreadPoolExecutor(max_workers=1) as pool:
        tx = session.begin_transaction()
        tx.run(query, **params).consume()
        future = pool.submit(store.import_file, source)
        try:
            wait_until_blocked(neo4j_driver)
        finally:
            tx.commit()
        return future.result(timeout=120)


def test_plugin_falls_back_when_another_writer_creates_a_node_meanwhile(plugin_store, ns, prefixes, source,
                                                                        neo4j_driver, caplog):
    caplog.set_level(logging.INFO, logger="kg.neo4j_store.store")
    result = import_racing(plugin_store, source, neo4j_driver, "CREATE (:Resource {uri: $uri})", uri=ns + "A")
    assert "another writer changed nodes of this batch" in caplog.text
    expected = expected_triples(source)
    assert result.triples_added == len(expected)
    assert plugin_store.count(prefixes) == len(expected)
    assert canonical(plugin_store.triples(prefixes)) == canonical(expected)


def test_plugin_falls_back_when_another_writer_deletes_a_node_meanwhile(plugin_store, ns, prefixes, source,
                                                                        neo4j_driver, caplog):
    caplog.set_level(logging.INFO, logger="kg.neo4j_store.store")
    plugin_store.add_triples([(URIRef(ns + "A"), URIRef(LABEL), Literal("old"))])
    result = import_racing(plugin_store, source, neo4j_driver,
                           "MATCH (n:Resource {uri: $uri}) DETACH DELETE n", uri=ns + "A")
    assert "another writer changed nodes of this batch" in caplog.text
    expected = expected_triples(source)
    assert result.triples_added == len(expected)
    assert plugin_store.count(prefixes) == len(expected)  # A re-created by the merge path, "old" gone with it
    assert canonical(plugin_store.triples(prefixes)) == canonical(expected)
