"""kgft's Neo4j server plugin: building it, and what it writes, against the real server.

The graph the procedure writes is compared with the one the Cypher statements
write, on N-Triples that exercise the server's parser (comments, blank lines,
a byte-order mark, every string escape, ``\\u`` escapes in IRIs, language
tags, typed literals, duplicates) and on Turtle with blank nodes (the parsed,
re-serialized way).
"""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from core.errors import ConfigError, ParseError, ServerError, StoreError
from kg.neo4j_server import plugin
from kg.neo4j_store import Neo4jStore
from kg.parse import file_sha256
from kg.neo4j_store.text_batches import TextBatch, sendable_as_is, text_batches
from kg.parse import iter_triples


def server_classpath() -> list[Path]:
    """The jars of the server the suite runs on (resolved by `kgft neo4j start`)."""
    import os

    from platformdirs import user_cache_dir

    home = Path(os.environ.get("KGFT_REAL_HOME") or user_cache_dir("kgft", appauthor=False)) / "neo4j" / "lib"
    files = sorted(home.glob("classpath-*.txt"))
    if not files:
        pytest.fail(f"no resolved Neo4j classpath under {home}: run `kgft neo4j start` first", pytrace=False)
    return [Path(p) for p in files[-1].read_text().split(os.pathsep) if p.strip()]


# ------------------------------------------------------------------ building the plugin
def test_plugin_is_compiled_once_and_replaces_older_jars(tmp_path):
    from kg.neo4j_server.jvm import find_java

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "kgft-rdf-0123456789ab.jar").write_bytes(b"an older build")
    (plugins / "someone-elses.jar").write_bytes(b"kept")
    jar = plugin.install(plugins, server_classpath(), find_java(), "5.26.30")
    assert jar is not None and jar.name == plugin.jar_name("5.26.30")
    with zipfile.ZipFile(jar) as archive:
        assert "org/kgft/neo4j/RdfLoader.class" in archive.namelist()
    assert sorted(p.name for p in plugins.iterdir()) == sorted([jar.name, "someone-elses.jar"])
    built = jar.stat().st_mtime_ns
    assert plugin.install(plugins, server_classpath(), find_java(), "5.26.30") == jar
    assert jar.stat().st_mtime_ns == built  # not compiled again
    assert plugin.jar_name("5.26.30") != plugin.jar_name("5.26.31")


def test_without_javac_the_server_starts_without_the_plugin(tmp_path, monkeypatch):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "kgft-rdf-0123456789ab.jar").write_bytes(b"stale")
    monkeypatch.setattr(plugin, "find_javac", lambda java: None)
    told = []
    assert plugin.install(plugins, [], Path("/usr/bin/java"), "5.26.30", notify=told.append) is None
    assert len(told) == 1 and "javac" in told[0] and "Cypher" in told[0]
    assert not list(plugins.iterdir())  # a stale build is not left to be loaded


def test_plugin_can_be_switched_off(tmp_path, monkeypatch):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "kgft-rdf-0123456789ab.jar").write_bytes(b"old")
    monkeypatch.setenv("KGFT_NEO4J_PLUGIN", "0")
    assert plugin.install(plugins, [], Path("/usr/bin/java"), "5.26.30") is None
    assert not list(plugins.iterdir())


def test_a_compile_error_is_one_clear_line(tmp_path, monkeypatch):
    from kg.neo4j_server.jvm import find_java

    monkeypatch.setattr(plugin, "sources", lambda: {"Broken.java": b"package org.kgft.neo4j; class Broken { int x = ; }"})
    with pytest.raises(ServerError) as info:
        plugin.install(tmp_path / "plugins", server_classpath(), find_java(), "5.26.30")
    message = info.value.user_message()
    assert "compiling the kgft Neo4j plugin failed" in message and "error:" in message and "\n" not in message
    assert not list((tmp_path / "plugins").glob("*.jar"))


# ------------------------------------------------------------------ cutting batches
def test_plain_ntriples_are_sent_as_they_are_in_batches_of_triples(tmp_path):
    path = tmp_path / "plain.nt"
    lines = [f"<http://x/s{i}> <http://x/p> \"v{i}\" ." for i in range(7)]
    path.write_text("\ufeff# header\n" + "\n".join(lines[:3]) + "\n\n   # note\n" + "\n".join(lines[3:]) + "\n",
                    encoding="utf-8")
    assert sendable_as_is(path, "nt")
    batches = list(text_batches(path, "nt", "scope", 0, 3))
    assert [b.size for b in batches] == [3, 3, 1]
    assert batches[0].text == "\n".join(lines[:3]) + "\n"
    resumed = list(text_batches(path, "nt", "scope", 2, 3))
    assert [b.text for b in resumed] == [lines[6] + "\n"]


@pytest.mark.parametrize("content", ["_:b <http://x/p> <http://x/o> .\n", "<http://x/s> <http://x/p> \"a\" .\r\n"])
def test_blank_nodes_or_carriage_returns_take_the_parsed_way(tmp_path, content):
    path = tmp_path / "f.nt"
    path.write_bytes(content.encode())
    assert not sendable_as_is(path, "nt")
    (batch,) = text_batches(path, "nt", "0123456789abcdef", 0, 10)
    assert batch.size == 1 and "\r" not in batch.text
    if "_:" in content:
        assert "_:k0123456789abcdefb0 " in batch.text  # the file-scoped blank node


def test_validation_in_a_child_process_reports_the_syntax_error(tmp_path):
    from kg.validate_worker import validate_in_child

    good = tmp_path / "good.nt"
    good.write_text("<http://x/s> <http://x/p> \"v\" .\n<http://x/s> <http://x/p> \"w\" .\n")
    assert validate_in_child(good, "nt") == ("nt", 2)
    bad = tmp_path / "bad.nt"
    bad.write_text("<http://x/s> <http://x/p> \"v\" .\n<http://x/s> <http://x/p> oops .\n")
    with pytest.raises(ParseError) as info:
        validate_in_child(bad, "nt")
    assert "bad.nt:2" in info.value.user_message()


def test_unknown_loader_is_refused(neo4j_settings):
    with pytest.raises(ConfigError, match="Neo4j loader"):
        Neo4jStore(neo4j_settings, loader="bulk")


# ------------------------------------------------------------------ what the procedure writes
TRICKY = (
    "\ufeff# kgft plugin test\n"
    "\n"
    "<{ns}a> <http://www.w3.org/2000/01/rdf-schema#label> \"quote \\\" backslash \\\\ tab \\t nl \\n \\u00e9 \\U0001F600\" .\n"
    "<{ns}a> <http://www.w3.org/2000/01/rdf-schema#label> \"Hello\"@EN-gb .\n"
    "<{ns}a> <http://www.w3.org/2000/01/rdf-schema#label> \"Bonjour\"@fr .\n"
    "<{ns}a> <http://www.w3.org/2000/01/rdf-schema#label> \"plain\"^^<http://www.w3.org/2001/XMLSchema#string> .\n"
    "<{ns}a> <http://www.w3.org/2000/01/rdf-schema#label> \"plain\" .\n"
    "  <{ns}a>\t<{ns}weight>  \"2\"^^<http://www.w3.org/2001/XMLSchema#integer> . # trailing comment\n"
    "<{ns}a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{ns}C\\u00e9> .\n"
    "<{ns}a> <{ns}p> <{ns}b> .\n"
    "<{ns}a> <{ns}p> <{ns}b> .\n"
    "<{ns}b> <{ns}p> <{ns}a> .\n"
    "<{ns}b> <{ns}p> <{ns}b> .\n"
    "<{ns}b> <{ns}q> \"{{'}}) DETACH DELETE n //\" .\n"
    "<{ns}c><{ns}p>\"tight\".\n"
)


@pytest.fixture
def ns() -> str:
    return f"http://kgft.test/{uuid.uuid4().hex}/"


def graph_by(settings, loader: str, path: Path, ns: str, keep_lang: bool) -> tuple[int, set]:
    with Neo4jStore(settings, batch_size=4, loader=loader, keep_lang=keep_lang) as store:
        store.opening_batches = 1
        try:
            result = store.import_file(path)
            assert store.import_file(path).triples_added == 0  # recorded as done
            store.forget_import(file_sha256(path))
            assert store.import_file(path).triples_added == 0  # written again: nothing new
            return result.triples_added, set(store.triples([ns]))
        finally:
            store.delete([ns])
            store.forget_import(file_sha256(path))


@pytest.mark.neo4j
@pytest.mark.parametrize("keep_lang", [False, True], ids=["tags-dropped", "tags-kept"])
def test_plugin_writes_the_graph_cypher_writes(neo4j_settings, ns, tmp_path, keep_lang):
    path = tmp_path / "tricky.nt"
    path.write_text(TRICKY.format(ns=ns), encoding="utf-8")
    assert sendable_as_is(path, "nt")  # the server parses the file's own lines
    added_plugin, by_plugin = graph_by(neo4j_settings, "plugin", path, ns, keep_lang)
    added_cypher, by_cypher = graph_by(neo4j_settings, "cypher", path, ns, keep_lang)
    assert by_plugin == by_cypher and added_plugin == added_cypher == len(by_plugin)
    canonical = ox.serialize(iter_triples(path), format=ox.RdfFormat.N_TRIPLES)
    expected = set(rdflib.Graph().parse(data=canonical.decode(), format="nt"))  # rdflib needs spaces between terms
    if keep_lang:
        assert by_plugin == expected
    else:  # tags dropped (the n10s default): "Hello"@en-gb is stored as the plain string "Hello"
        assert by_plugin == {(s, p, rdflib.Literal(str(o)) if getattr(o, "language", None) else o)
                             for s, p, o in expected}


@pytest.mark.neo4j
def test_plugin_imports_turtle_with_blank_nodes_like_cypher(neo4j_settings, ns, tmp_path):
    path = tmp_path / "onto.ttl"
    path.write_text(
        f"@prefix : <{ns}> . @prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        ":A a owl:Class ; :p [ a owl:Restriction ; owl:onProperty :p ; :v \"x\" ] , [ :v \"y\" ] .\n",
        encoding="utf-8",
    )
    scope = [ns, f"bnode://k{file_sha256(path)[:16]}"]
    results = {}
    for loader in ("plugin", "cypher"):
        with Neo4jStore(neo4j_settings, batch_size=3, loader=loader) as store:
            store.opening_batches = 1
            try:
                added = store.import_file(path).triples_added
                results[loader] = (added, set(store.triples(scope)))
            finally:
                store.delete(scope)
                store.forget_import(file_sha256(path))
    assert results["plugin"] == results["cypher"] and results["plugin"][0] == 7


@pytest.mark.neo4j
@pytest.mark.parametrize(
    ("text", "size", "needle"),
    [
        ("<http://x/s> <http://x/a^b> \"v\" .\n", 1, "cannot store predicate 'http://x/a^b' in Neo4j: not an absolute IRI"),
        ("<http://x/s> <http://x/p> oops .\n", 1, "could not read a batch: line 1 of the batch"),
        ("<http://x/s> <http://x/p> \"v\" .\n", 2, "read 1 triples of a batch of 2"),
    ],
    ids=["bad-iri", "bad-syntax", "count-mismatch"],
)
def test_procedure_errors_are_one_clear_line_and_write_nothing(neo4j_settings, text, size, needle):
    with Neo4jStore(neo4j_settings, loader="plugin") as store:
        with pytest.raises(StoreError) as info:
            store.write_batch(TextBatch(text, size))
        assert needle in info.value.user_message() and "\n" not in info.value.user_message()
        assert store.count(["http://x/"]) == 0
