"""Converters: MeSH tree, opinion lexicon and head/relation/tail TSV → RDF."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kg.convert import convert_mesh_tree, convert_opinion_lexicon, convert_triples_tsv
from kg.convert.namespaces import KGFT, LEXICON, MESH, MESH_CATEGORY
from kg.convert.tsv import entity_label, relation_label
from core.errors import DataError, ParseError

TREE = (
    "\ufeffTree Number\tDesc Ui\tTerm\n"
    "C04\tD009369\tNeoplasms\n"
    "C04.557\tD009370\tNeoplasms by Histologic Type\n"
    "C04.588\tD009371\tNeoplasms by Site\n"
    "C04.557.337\tD007938\tLeukemia\n"
    "C04.588.448\tD007938\tLeukemia\n"  # a second position under another parent
    "C04.557.338\tD000001\tQuote \"this\" {and} that\n"
)


def load(path: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(str(path))
    return graph


def test_mesh_tree_small(tmp_path):
    src = tmp_path / "tree.txt"
    src.write_text(TREE, encoding="utf-8")
    result = convert_mesh_tree(src, tmp_path / "mesh.ttl")
    graph = load(tmp_path / "mesh.ttl")
    assert result.concepts == 5
    assert result.triples == len(graph)
    leukemia = URIRef(MESH + "D007938")
    assert set(graph.objects(leukemia, SKOS.broader)) == {URIRef(MESH + "D009370"), URIRef(MESH + "D009371")}
    assert set(graph.objects(leukemia, URIRef(KGFT + "treeNumber"))) == {Literal("C04.557.337"), Literal("C04.588.448")}
    assert graph.value(leukemia, SKOS.prefLabel) == Literal("Leukemia")
    assert graph.value(leukemia, SKOS.notation) == Literal("D007938")
    neoplasms = URIRef(MESH + "D009369")
    assert graph.value(neoplasms, SKOS.broader) == URIRef(MESH_CATEGORY + "C")
    assert graph.value(URIRef(MESH_CATEGORY + "C"), SKOS.prefLabel) == Literal("Diseases")
    assert graph.value(URIRef(MESH + "D000001"), SKOS.prefLabel) == Literal('Quote "this" {and} that')


def test_mesh_tree_bad_line_names_line(tmp_path):
    src = tmp_path / "tree.txt"
    src.write_text("Tree Number\tDesc Ui\tTerm\nC04\tD009369\tNeoplasms\nC04.557 D009370 no tabs\n", encoding="utf-8")
    with pytest.raises(ParseError) as info:
        convert_mesh_tree(src, tmp_path / "out.ttl")
    assert info.value.line == 3
    assert not (tmp_path / "out.ttl").exists()


def test_opinion_lexicon_small(tmp_path):
    (tmp_path / "positive-words.txt").write_bytes(b";;; header\r\n;\r\n\r\na+\r\ngood\r\nna\xefve\r\n")
    (tmp_path / "negative-words.txt").write_bytes(b"; comment\r\nbad\r\n2-faced\r\ngood\r\n")
    result = convert_opinion_lexicon(tmp_path, tmp_path / "lex.ttl")
    graph = load(tmp_path / "lex.ttl")
    assert result.concepts == 5  # a+, good, naive, bad, 2-faced (good counted once)
    words = {str(o) for s in graph.subjects(SKOS.broader, URIRef(LEXICON + "Positive")) for o in graph.objects(s, SKOS.prefLabel)}
    assert words == {"a+", "good", "na\u00efve"}
    negative = {str(o) for s in graph.subjects(SKOS.broader, URIRef(LEXICON + "Negative")) for o in graph.objects(s, SKOS.prefLabel)}
    assert negative == {"bad", "2-faced", "good"}
    single = convert_opinion_lexicon(tmp_path / "negative-words.txt", tmp_path / "neg.ttl")
    assert single.concepts == 3


def test_opinion_lexicon_needs_polarity(tmp_path):
    odd = tmp_path / "words.txt"
    odd.write_text("good\n", encoding="utf-8")
    with pytest.raises(DataError):
        convert_opinion_lexicon(odd, tmp_path / "out.ttl")


def test_labels_from_names():
    assert entity_label("land_reform.n.01") == "land reform"
    assert entity_label("acquired_abnormality") == "acquired abnormality"
    assert relation_label("_derivationally_related_form") == "derivationally related form"


def test_triples_tsv_small(tmp_path):
    data = tmp_path / "toy"
    data.mkdir()
    (data / "train.txt").write_text("land_reform.n.01\t_hypernym\treform.n.01\ndog.n.01\t_hypernym\tcanine.n.02\n", encoding="utf-8")
    (data / "valid.txt").write_text("dog.n.01\t_has_part\tflag.n.07\n", encoding="utf-8")
    (data / "test.txt").write_text("", encoding="utf-8")
    result = convert_triples_tsv(data, tmp_path / "toy.ttl")
    graph = load(tmp_path / "toy.ttl")
    ns = "https://w3id.org/kgft/kg/toy/"
    assert result.concepts == 5
    assert result.triples == len(graph) == 3 + 5 * 2 + 2 * 2
    assert graph.value(URIRef(ns + "entity/land_reform.n.01"), SKOS.prefLabel) == Literal("land reform")
    hypernym = URIRef(ns + "relation/hypernym")
    assert graph.value(hypernym, RDFS.label) == Literal("hypernym")
    assert (URIRef(ns + "entity/dog.n.01"), hypernym, URIRef(ns + "entity/canine.n.02")) in graph
    assert (hypernym, RDF.type, URIRef("http://www.w3.org/2002/07/owl#ObjectProperty")) in graph


def test_triples_tsv_bad_line(tmp_path):
    src = tmp_path / "kg.tsv"
    src.write_text("a\tr\tb\na\tr\n", encoding="utf-8")
    with pytest.raises(ParseError) as info:
        convert_triples_tsv(src, tmp_path / "out.ttl")
    assert info.value.line == 2


# ---------------------------------------------------------------- real files


def test_real_mesh_tree(mirror, tmp_path):
    result = convert_mesh_tree(mirror / "mesh" / "2017MeshTree.txt", tmp_path / "mesh.ttl")
    assert result.concepts == 28_470
    from kg.parse import iter_triples

    tree_numbers = sum(1 for t in iter_triples(tmp_path / "mesh.ttl") if t.predicate.value == KGFT + "treeNumber")
    assert tree_numbers == 57_840
    assert result.triples == 238_987


def test_real_opinion_lexicon(mirror, tmp_path):
    result = convert_opinion_lexicon(mirror / "opinion-lexicon", tmp_path / "lex.ttl")
    from kg.parse import iter_triples

    broader = [t for t in iter_triples(tmp_path / "lex.ttl") if t.predicate.value == str(SKOS.broader)]
    assert sum(1 for t in broader if t.object.value.endswith("Positive")) == 2006
    assert sum(1 for t in broader if t.object.value.endswith("Negative")) == 4783
    assert result.concepts == 6786  # 3 words are in both lists


def test_real_wn18rr(mirror, tmp_path):
    result = convert_triples_tsv(mirror / "wn18rr", tmp_path / "wn.ttl")
    # 86,835 + 3,034 + 3,134 relation triples, 41,105 distinct names, 11 relations
    assert result.concepts == 41_105
    assert result.triples == 93_003 + 2 * 41_105 + 2 * 11
