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
    assert "good.ttl: already imported (6 triples, unchanged since), 0 added" in again.output
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


def _stored(store) -> int:
    from kg.embedded import EmbeddedStore

    with EmbeddedStore(store, read_only=True) as opened:
        return opened.count()


def test_a_truncated_gzip_file_is_named_with_its_last_line_and_writes_nothing(runner, tmp_path):
    import gzip

    lines = "".join(f'<http://e/s{i}> <http://e/p> "value {i}" .\n' for i in range(30_000))
    data = gzip.compress(lines.encode())
    cut = tmp_path / "cut.nt.gz"
    cut.write_bytes(data[: len(data) // 2])
    store = tmp_path / "store"
    result = invoke(runner, "ontology", "import", "-q", cut, "--store", store)
    assert result.exit_code == 1
    line = int(result.output.split("truncated gzip stream (after line ")[1].split(")")[0])
    assert 0 < line < 30_000
    assert f"Error: {cut}: truncated gzip stream" in result.output and "internal error" not in result.output
    assert _stored(store) == 0


def test_base_resolves_relative_iris_and_the_file_base_still_wins(runner, tmp_path):
    data = tmp_path / "rel.ttl"
    data.write_text('<a> <p> "v" .\n@base <http://other/> .\n<b> <p> "w" .\n', encoding="utf-8")
    store = tmp_path / "store"
    result = invoke(runner, "ontology", "import", "-q", data, "--store", store, "--base", "http://base.example/dir/")
    assert result.exit_code == 0, result.output
    out = invoke(runner, "ontology", "export", "--store", store, "-o", "-", "-q")
    assert sorted(out.stdout.splitlines()) == ['<http://base.example/dir/a> <http://base.example/dir/p> "v" .',
                                              '<http://other/b> <http://other/p> "w" .']


def test_export_to_stdout_with_a_dash(runner, files):
    good, _, store = files
    invoke(runner, "ontology", "import", "-q", good, "--store", store)
    result = runner.invoke(cli, ["ontology", "export", "--store", str(store), "-o", "-", "-q"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 6 and "<http://example.org/c#Dog>" in result.stdout
    assert "-: 6 triples" in result.stderr and "-: 6 triples" not in result.stdout
    assert not (store.parent / "-").exists()


def test_export_through_a_symlink_writes_its_target(runner, files, tmp_path):
    good, _, store = files
    invoke(runner, "ontology", "import", "-q", good, "--store", store)
    target, link = tmp_path / "real.nt", tmp_path / "link.nt"
    target.write_text("old", encoding="utf-8")
    link.symlink_to(target)
    result = invoke(runner, "ontology", "export", "--store", store, "-o", link, "-q")
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and len(target.read_text(encoding="utf-8").splitlines()) == 6


def test_export_into_a_fifo_writes_in_place(runner, files, tmp_path):
    import os
    import stat
    import threading

    good, _, store = files
    invoke(runner, "ontology", "import", "-q", good, "--store", store)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = invoke(runner, "ontology", "export", "--store", store, "-o", fifo, "-q")
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # not replaced by a regular file
    assert len(received[0].decode().splitlines()) == 6


def test_export_through_a_link_to_an_open_descriptor_writes_through_it(runner, files, tmp_path):
    """Like -o /dev/stdout (a link to /proc/self/fd/1): written at the descriptor's offset, the link kept."""
    good, _, store = files
    invoke(runner, "ontology", "import", "-q", good, "--store", store)
    sink, link = tmp_path / "sink.nt", tmp_path / "out.nt"
    with open(sink, "wb") as fh:
        fh.write(b"# written before\n")
        fh.flush()
        link.symlink_to(f"/proc/self/fd/{fh.fileno()}")
        result = invoke(runner, "ontology", "export", "--store", store, "-o", link, "-q")
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    text = sink.read_text(encoding="utf-8")
    assert text.startswith("# written before\n") and len(text.splitlines()) == 7
