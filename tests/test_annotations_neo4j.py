"""The ``annotate`` commands on the real Neo4j server: provenance, checks, removal, round trip, the linker.

Every test works in its own IRI namespace, with its own words and file names,
and removes what it wrote (its resources, import records and annotations), so
it can share the server with other test runs.
"""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest

from cli import cli
from kg.neo4j_store import Neo4jStore
from kg.neo4j_store.schema import ANNOTATION_LABEL
from kg.parse import file_sha256

pytestmark = pytest.mark.neo4j

RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.fixture
def scope(neo4j_settings, tmp_path):
    """A namespace, a word and an imported ontology of this test; everything removed afterwards."""
    word = "zq" + uuid.uuid4().hex[:10]
    ns = f"http://kgft.test/{word}/"
    onto = tmp_path / "onto.ttl"
    onto.write_text(f"""@prefix : <{ns}> .
@prefix rdfs: <{RDFS}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
:MI a owl:Class ; rdfs:label "Myocardial infarction" .
:Heart a owl:Class ; rdfs:label "{word}heart" .
:Organ a owl:Class ; rdfs:label "Organ" .
""", encoding="utf-8")
    with Neo4jStore(neo4j_settings) as store:
        store.import_file(onto)
        yield SimpleNamespace(ns=ns, word=word, store=store, tmp=tmp_path)
        store.run(f"MATCH (a:{ANNOTATION_LABEL}) WHERE a.source CONTAINS $word DETACH DELETE a", "cleanup", word=word)
        store.delete([ns])
        store.forget_import(file_sha256(onto))


def rows_of(s) -> list[list[str]]:
    ns, w = s.ns, s.word
    return [
        ["link", f"{w} attack", "", ns + "MI", "ana", "lay term"],
        ["unlink", f"{w}heart", "", "*", "ana", ""],
        ["class", f"{w}cardiac", "", ns + "Heart", "bob", ""],
        ["triple", ns + "MI", RDFS + "comment", '"a heart attack"@en', "bob", ""],
        ["triple", ns + "Heart", RDFS + "subClassOf", ns + "Organ", "bob", "an edge"],
        ["triple", ns + "MI", RDF_TYPE, ns + "Disease", "", "a class label"],
    ]


def write_tsv(path, rows):
    header = ["kind", "subject", "predicate", "object", "author", "note"]
    path.write_text("".join("\t".join(cells) + "\n" for cells in [header] + rows), encoding="utf-8")
    return path


def invoke(runner, *args):
    return runner.invoke(cli, [str(a) for a in args])


def listed(runner, s) -> list[dict]:
    result = invoke(runner, "annotate", "list", "--neo4j", "--json")
    assert result.exit_code == 0, result.output
    return [row for row in json.loads(result.output) if s.word in row["source"]]


def test_apply_writes_provenance_nodes_is_idempotent_and_replaces_edited_rows(runner, scope):
    s = scope
    before = s.store.count([s.ns])
    tsv = write_tsv(s.tmp / f"expert-{s.word}.tsv", rows_of(s))
    first = invoke(runner, "annotate", "apply", tsv, "--neo4j")
    assert first.exit_code == 0, first.output
    assert f"{tsv.name}: 6 rows, 6 new, 0 removed, 3 triples added" in first.output
    nodes = s.store.run(f"MATCH (a:{ANNOTATION_LABEL} {{source: $src}}) RETURN a.kind AS kind, a.line AS line, "
                        "a.author AS author, a.time AS time, a:Resource AS resource ORDER BY a.line", "t",
                        read=True, src=tsv.name)
    assert [(n["kind"], n["line"], n["author"], n["resource"]) for n in nodes] == [
        ("link", 2, "ana", False), ("unlink", 3, "ana", False), ("class", 4, "bob", False),
        ("triple", 5, "bob", False), ("triple", 6, "bob", False), ("triple", 7, "", False)]
    assert all(n["time"].endswith("Z") for n in nodes)
    assert s.store.count([s.ns]) == before + 3
    holds = s.store.run("MATCH (h:Resource {uri: $h})-[r]->(o:Resource {uri: $o}) RETURN type(r) AS p, "
                        "h[$comment] AS comments", "t", read=True, h=s.ns + "Heart", o=s.ns + "Organ",
                        comment=RDFS + "comment")
    assert [row["p"] for row in holds] == [RDFS + "subClassOf"]
    rows = listed(runner, s)
    assert [(r["kind"], r["line"], r["author"], r["note"]) for r in rows][:2] == [
        ("link", 2, "ana", "lay term"), ("unlink", 3, "ana", "")]
    again = invoke(runner, "annotate", "apply", tsv, "--neo4j")
    assert "6 rows, 0 new, 0 removed, 0 triples added" in again.output
    assert listed(runner, s) == rows and s.store.count([s.ns]) == before + 3
    write_tsv(tsv, rows_of(s)[:3])
    edited = invoke(runner, "annotate", "apply", tsv, "--neo4j")
    assert "3 rows, 0 new, 3 removed, 0 triples added" in edited.output
    assert [r["kind"] for r in listed(runner, s)] == ["link", "unlink", "class"]
    assert s.store.count([s.ns]) == before


def test_remove_by_file_and_by_source_keeps_a_statement_the_graph_held(runner, scope):
    s = scope
    before = s.store.count([s.ns])
    a = write_tsv(s.tmp / f"a-{s.word}.tsv", rows_of(s)[:3])
    held = ["triple", s.ns + "MI", RDFS + "label", '"Myocardial infarction"', "", ""]
    b = write_tsv(s.tmp / f"b-{s.word}.tsv", rows_of(s)[3:] + [held])
    for path in (a, b):
        result = invoke(runner, "annotate", "apply", path, "--neo4j")
        assert result.exit_code == 0, result.output
    assert "3 triples added" in result.output and s.store.count([s.ns]) == before + 3
    assert "3 annotations removed" in invoke(runner, "annotate", "remove", a, "--neo4j").output
    assert {r["source"] for r in listed(runner, s)} == {b.name}
    assert "4 annotations removed" in invoke(runner, "annotate", "remove", "--source", b.name, "--neo4j").output
    assert listed(runner, s) == [] and s.store.count([s.ns]) == before
    assert s.ns + "MI" in {iri for iri, _, text in s.store.labels() if text == "Myocardial infarction"}
    unknown = invoke(runner, "annotate", "remove", "--source", b.name, "--neo4j")
    assert unknown.exit_code == 1 and f"no annotations from {b.name!r}" in unknown.output


@pytest.mark.parametrize("case", ["unknown concept", "contradiction", "bad IRI", "other file"])
def test_a_bad_file_is_refused_with_file_line_and_nothing_written(runner, scope, case):
    s = scope
    before = s.store.count([s.ns])
    good = rows_of(s)
    other = write_tsv(s.tmp / f"other-{s.word}.tsv", [good[1]])
    if case == "other file":
        assert invoke(runner, "annotate", "apply", other, "--neo4j").exit_code == 0
    last = {"unknown concept": ["link", "stroke", "", s.ns + "Stroke", "", ""],
            "contradiction": ["class", f"{s.word}cardiac", "", s.ns + "MI", "", ""],
            "bad IRI": ["triple", s.ns + "MI", RDFS + "comment", "not an iri", "", ""],
            "other file": ["link", f"{s.word}heart", "", s.ns + "Heart", "", ""]}[case]
    bad = write_tsv(s.tmp / f"bad-{s.word}.tsv", [good[0], good[2], good[3], good[4], last])
    result = invoke(runner, "annotate", "apply", bad, "--neo4j")
    assert result.exit_code == 1
    reason = {"unknown concept": f"unknown concept <{s.ns}Stroke>",
              "contradiction": f"the class row of '{s.word}cardiac' contradicts the class row at {bad.name}:3",
              "bad IRI": "object 'not an iri' is not an absolute IRI",
              "other file": f"contradicts the unlink row at {other.name}:2"}[case]
    assert f"{bad.name}:6: " in result.output and reason in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert [r["source"] for r in listed(runner, s)] == ([other.name] if case == "other file" else [])
    assert s.store.count([s.ns]) == before


def test_export_round_trip_through_an_embedded_store(runner, scope):
    s = scope
    applied = invoke(runner, "annotate", "apply", write_tsv(s.tmp / f"a-{s.word}.tsv", rows_of(s)), "--neo4j")
    assert applied.exit_code == 0, applied.output
    first = s.tmp / "export.tsv"
    assert invoke(runner, "annotate", "export", "--neo4j", "-o", first).exit_code == 0
    text = first.read_text(encoding="utf-8")
    assert all("\t".join(row) + "\n" in text for row in rows_of(s)[:1] + rows_of(s)[2:])
    assert "\t".join(rows_of(s)[1]) + "\n" in text  # "*" stays "*"
    fresh = s.tmp / "fresh"
    result = invoke(runner, "annotate", "apply", first, "--store", fresh, "--allow-new")
    assert result.exit_code == 0, result.output
    again = s.tmp / "again.tsv"
    assert invoke(runner, "annotate", "export", "--store", fresh, "-o", again).exit_code == 0
    assert again.read_text(encoding="utf-8") == text


def test_link_and_unlink_reach_the_linker_built_from_neo4j(runner, scope):
    """What training reads from a run embedded with ``kgft embed --neo4j`` (pipelines.knowledge)."""
    from kg.annotations.backends import stored_annotations
    from kg.annotations.hooks import class_concepts
    from pipelines.knowledge import read_store_knowledge
    from pipelines.train import build_linker
    from pipelines.train_config import TrainConfig

    s = scope
    text = f"a {s.word} attack of the {s.word}heart"

    def linked() -> set[str]:
        labels, _, annotated = read_store_knowledge(None, neo4j=True)
        knowledge = SimpleNamespace(label_pairs=labels, unlinks=annotated["unlinks"])
        linker = build_linker(knowledge, SimpleNamespace(train=[]), TrainConfig())
        return {iri for mention in linker.link(text) for iri in mention.entities}

    assert linked() == {s.ns + "Heart"}
    applied = invoke(runner, "annotate", "apply", write_tsv(s.tmp / f"a-{s.word}.tsv", rows_of(s)), "--neo4j")
    assert applied.exit_code == 0, applied.output
    assert linked() == {s.ns + "MI"}
    assert class_concepts(stored_annotations(s.store))[f"{s.word}cardiac"] == s.ns + "Heart"
