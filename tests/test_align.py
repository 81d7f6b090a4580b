"""Label alignment (kgft ontology align): a tiny lexicon and a tiny WordNet TSV, converted, imported, aligned.

The alignment goes through the Store protocol: the embedded store throughout, and
the same pairs on the real Neo4j server.
"""

from __future__ import annotations

import json

import pytest

from cli import cli
from kg.align import CLOSE_MATCH, AlignResult, align_labels, source_of
from kg.convert import convert_opinion_lexicon, convert_triples_tsv
from kg.convert.namespaces import KG, KGFT, LEXICON
from core.errors import ConfigError
from kg.evidence import default_class_map, path_finder
from kg.open_store import open_store

WN = KG + "wn18rr/"
ENT = WN + "entity/"
WORD = LEXICON + "word/"

POSITIVE = "; Hu & Liu style header\r\n;\r\ngood\r\nwell-known\r\n"
NEGATIVE = ";\r\nbad\r\ncowardly\r\nfall\r\n"
WORDNET = "\n".join(
    [
        "good.a.01\t_similar_to\twell_known.a.01",
        "good.n.01\t_hypernym\tquality.n.01",
        "bad.a.01\t_also_see\tquality.n.01",
        "cowardice.n.01\t_derivationally_related_form\tcowardly.a.01",
        "fall.v.01\t_verb_group\tfall.v.02",
        "fall.n.01\t_hypernym\tdescent.n.01",
        "run.v.01\t_derivationally_related_form\trun.n.01",  # one source only: never aligned
        "polarity.n.01\t_hypernym\tquality.n.01",  # kgft:polarity is a predicate: never aligned
    ]
) + "\n"

# Known by hand: (WordNet synset, lexicon word); the WordNet IRI sorts first, so it is the subject.
PAIRS = [
    (ENT + "bad.a.01", WORD + "bad"),
    (ENT + "cowardly.a.01", WORD + "cowardly"),
    (ENT + "fall.n.01", WORD + "fall"),
    (ENT + "fall.v.01", WORD + "fall"),
    (ENT + "fall.v.02", WORD + "fall"),
    (ENT + "good.a.01", WORD + "good"),
    (ENT + "good.n.01", WORD + "good"),
    (ENT + "well_known.a.01", WORD + "well-known"),  # "well-known" and "well known" normalize alike
]


@pytest.fixture(scope="module")
def ontology_files(tmp_path_factory) -> list:
    root = tmp_path_factory.mktemp("align")
    lexicon, wordnet = root / "lexicon", root / "wn18rr"
    lexicon.mkdir()
    wordnet.mkdir()
    (lexicon / "positive-words.txt").write_bytes(POSITIVE.encode("latin-1"))
    (lexicon / "negative-words.txt").write_bytes(NEGATIVE.encode("latin-1"))
    (wordnet / "train.txt").write_text(WORDNET, encoding="utf-8")
    files = [root / "lex.ttl", root / "wn.ttl"]
    convert_opinion_lexicon(lexicon, files[0])
    convert_triples_tsv(wordnet, files[1])
    return files


@pytest.fixture
def store_dir(tmp_path, ontology_files):
    folder = tmp_path / "kb"
    store = open_store(folder)
    try:
        for f in ontology_files:
            store.import_file(f)
    finally:
        store.close()
    return folder


def close_matches(folder) -> list[tuple[str, str]]:
    store = open_store(folder, read_only=True)
    try:
        return sorted((str(s), str(o)) for s, p, o in store.triples() if str(p) == CLOSE_MATCH)
    finally:
        store.close()


def align(folder, **kwargs) -> AlignResult:
    store = open_store(folder)
    try:
        return align_labels(store, **kwargs)
    finally:
        store.close()


def test_align_adds_known_pairs_once(store_dir):
    first = align(store_dir)
    assert (first.pairs, first.added, first.groups, first.skipped_groups) == (len(PAIRS), len(PAIRS), 5, 0)
    assert close_matches(store_dir) == PAIRS
    store = open_store(store_dir, read_only=True)
    before = store.count()
    store.close()
    again = align(store_dir)
    assert (again.pairs, again.added) == (len(PAIRS), 0)
    store = open_store(store_dir, read_only=True)
    assert store.count() == before
    store.close()


def test_max_group_skips_and_counts_hubs(store_dir):
    res = align(store_dir, max_group=3)  # "fall": one word and three synsets
    assert (res.groups, res.skipped_groups, res.skipped_entities, res.added) == (5, 1, 4, len(PAIRS) - 3)
    assert close_matches(store_dir) == [p for p in PAIRS if not p[1].endswith("/fall")]
    with pytest.raises(ConfigError, match="max_group"):
        align(store_dir, max_group=1)


def test_namespace_filter_and_sources(store_dir):
    assert source_of(WORD + "good") == source_of(LEXICON + "Positive") == LEXICON
    assert source_of(ENT + "good.a.01") == source_of(WN + "relation/hypernym") == WN
    assert source_of("http://example.org/onto#Thing") == "http://example.org/onto#"
    assert source_of(ENT + "x", [KG, WN]) == WN and source_of(KGFT + "polarity", [KG]) is None
    assert align(store_dir, namespaces=[LEXICON]).pairs == 0  # one source: nothing to align
    res = align(store_dir, namespaces=[LEXICON, WN], predicates=["http://www.w3.org/2004/02/skos/core#prefLabel"])
    assert res.added == len(PAIRS)
    assert close_matches(store_dir) == PAIRS


def test_cli_align(runner, store_dir):
    res = runner.invoke(cli, ["ontology", "align", "--store", str(store_dir)])
    assert res.exit_code == 0, res.output
    assert f"{len(PAIRS)} skos:closeMatch triples added" in res.output
    assert "0 labels shared by more than 20 entities skipped" in res.output
    res = runner.invoke(cli, ["ontology", "align", "--store", str(store_dir), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert (data["added"], data["pairs"], data["max_group"]) == (0, len(PAIRS), 20)
    res = runner.invoke(cli, ["ontology", "align", "--store", str(store_dir), "--max-group", "1"])
    assert res.exit_code == 2 and "--max-group" in res.output


def test_wordnet_only_word_reaches_polarity_through_close_match(store_dir):
    cmap = default_class_map("imdb")
    source, negative, positive = ENT + "cowardice.n.01", cmap.concepts_for("neg"), cmap.concepts_for("pos")
    store = open_store(store_dir, read_only=True)
    try:
        assert path_finder(store).shortest_paths(source, negative, cmap.policy, avoid=positive) == []
    finally:
        store.close()
    align(store_dir)
    store = open_store(store_dir, read_only=True)
    try:
        paths = path_finder(store).shortest_paths(source, negative, cmap.policy, avoid=positive)
    finally:
        store.close()
    assert len(paths) == 1
    assert [(s.subject, s.predicate, s.object, s.forward) for s in paths[0].steps] == [
        (source, WN + "relation/derivationally_related_form", ENT + "cowardly.a.01", True),
        (ENT + "cowardly.a.01", CLOSE_MATCH, WORD + "cowardly", True),
        (WORD + "cowardly", KGFT + "polarity", LEXICON + "Negative", True),
    ]


@pytest.mark.neo4j
def test_align_on_neo4j_gives_the_same_pairs(neo4j_settings, ontology_files):
    from kg.neo4j_store import Neo4jStore
    from kg.parse import file_sha256

    prefixes = [WN, LEXICON]
    store = Neo4jStore(neo4j_settings)
    try:
        store.delete(prefixes)
        for f in ontology_files:
            store.forget_import(file_sha256(f))  # the data was deleted: import it afresh
            store.import_file(f)
        # the shared server may hold other graphs: align only this test's two sources
        first = align_labels(store, namespaces=prefixes)
        assert (first.pairs, first.added) == (len(PAIRS), len(PAIRS))
        found = sorted((str(s), str(o)) for s, p, o in store.triples(prefixes) if str(p) == CLOSE_MATCH)
        assert found == PAIRS
        assert align_labels(store, namespaces=prefixes).added == 0
    finally:
        store.delete(prefixes)
        store.close()
