"""The ``ontology`` and ``query sparql`` commands on the embedded store, through CliRunner."""

from __future__ import annotations

import json

import pytest

from cli import cli

TTL = """@prefix : <http://example.org/c#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
:Dog a owl:Class ; rdfs:subClassOf :Animal ; rdfs:label "Dog" .
:Animal a owl:Class ; rdfs:label "Animal" .
:note rdfs:comment "x\\" } ; DROP ALL #" .
"""


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "good.ttl"
    good.write_text(TTL, encoding="utf-8")
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix : <http://e/> .\n:a :b :c .\n:a :b :c ; ; ] .\n", encoding="utf-8")
    return good, bad, tmp_path / "store"


def invoke(runner, *args):
    return runner.invoke(cli, [str(a) for a in args])


def test_import_stats_export_roundtrip(runner, files, tmp_path):
    good, _, store = files
    result = invoke(runner, "ontology", "import", "-q", good, "--store", store)
    assert result.exit_code == 0, result.output
    assert "good.ttl: 6 triples read, 6 added" in result.output
    again = invoke(runner, "ontology", "import", "-q", good, "--store", store)
    assert "6 triples read, 0 added" in again.output
    stats = invoke(runner, "ontology", "stats", "--store", store, "--json")
    assert stats.exit_code == 0, stats.output
    data = json.loads(stats.output)
    assert data["triples"] == 6 and data["classes"] == 2 and data["labelled"] == 2
    out = tmp_path / "out.nt"
    exported = invoke(runner, "ontology", "export", "--store", store, "--format", "nt", "-o", out)
    assert exported.exit_code == 0, exported.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6
    # the export imports back into a fresh store with the same count
    back = invoke(runner, "ontology", "import", "-q", out, "--store", tmp_path / "store2")
    assert "6 triples read, 6 added" in back.output


def test_default_store_lives_under_kgft_home(runner, files, tmp_path, monkeypatch):
    good, _, _ = files
    monkeypatch.setenv("KGFT_HOME", str(tmp_path / "home"))
    assert invoke(runner, "ontology", "import", "-q", good).exit_code == 0
    assert (tmp_path / "home" / "store" / "CURRENT").exists()


def test_syntax_error_is_one_line_with_file_and_line(runner, files):
    _, bad, store = files
    result = invoke(runner, "ontology", "import", bad, "--store", store)
    assert result.exit_code != 0
    assert "bad.ttl:3" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_unknown_format_lists_formats(runner, files, tmp_path):
    good, _, store = files
    result = invoke(runner, "ontology", "import", good, "--store", store, "--format", "owlxml")
    assert result.exit_code != 0
    assert "turtle, nt, nquads, trig, rdfxml, jsonld" in result.output
    odd = tmp_path / "notes.dat"
    odd.write_text("just some words\n", encoding="utf-8")
    result = invoke(runner, "ontology", "import", odd, "--store", store)
    assert result.exit_code != 0 and "cannot tell the RDF format" in result.output


def test_store_and_neo4j_are_exclusive(runner, files):
    good, _, store = files
    result = invoke(runner, "ontology", "import", good, "--store", store, "--neo4j")
    assert result.exit_code == 2
    assert "mutually exclusive" in result.output


def test_stats_of_missing_store_is_an_error(runner, tmp_path):
    result = invoke(runner, "ontology", "stats", "--store", tmp_path / "nothing")
    assert result.exit_code != 0
    assert "no kgft store" in result.output


def test_convert_command(runner, tmp_path):
    tree = tmp_path / "tree.txt"
    tree.write_text("Tree Number\tDesc Ui\tTerm\nC04\tD009369\tNeoplasms\nC04.557\tD009370\tNeoplasms by Histologic Type\n", encoding="utf-8")
    out = tmp_path / "tree.ttl"
    result = invoke(runner, "ontology", "convert", "mesh-tree", tree, "-o", out)
    assert result.exit_code == 0, result.output
    assert "2 concepts" in result.output and out.exists()


def test_sparql_select_with_params_and_formats(runner, files):
    good, _, store = files
    invoke(runner, "ontology", "import", "-q", good, "--store", store)
    query = "SELECT ?label WHERE { ?c rdfs:label ?label }"
    table = invoke(runner, "query", "sparql", query, "--store", store, "--param", "c=<http://example.org/c#Dog>")
    assert table.exit_code == 0, table.output
    assert "Dog" in table.output and "Animal" not in table.output and "(1 row)" in table.output
    as_json = invoke(runner, "query", "sparql", query, "--store", store, "--format", "json")
    assert sorted(r["label"] for r in json.loads(as_json.output)["rows"]) == ["Animal", "Dog"]
    as_csv = invoke(runner, "query", "sparql", "SELECT ?c WHERE { ?c rdfs:comment ?t }", "--store", store,
                    "--format", "csv", "--param", 't=x" } ; DROP ALL #')
    assert as_csv.output.splitlines() == ["c", "http://example.org/c#note"]


def test_sparql_refuses_updates_unless_write(runner, files):
    good, _, store = files
    invoke(runner, "ontology", "import", "-q", good, "--store", store)
    update = "DELETE WHERE { ?s ?p ?o }"
    refused = invoke(runner, "query", "sparql", update, "--store", store)
    assert refused.exit_code != 0 and "--write" in refused.output
    count = invoke(runner, "query", "sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--store", store, "--format", "csv")
    assert count.output.splitlines()[1] == "6"
    done = invoke(runner, "query", "sparql", update, "--store", store, "--write")
    assert done.exit_code == 0 and "-6" in done.output


def test_sparql_syntax_error(runner, files):
    good, _, store = files
    invoke(runner, "ontology", "import", "-q", good, "--store", store)
    result = invoke(runner, "query", "sparql", "SELECT * WHERE { ?s ?p }", "--store", store)
    assert result.exit_code != 0
    assert "SPARQL syntax error" in result.output and "<query>:1:" in result.output
