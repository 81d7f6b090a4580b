"""Entity linker on a hand-made label set, coverage by hand, and MeSH on Ohsumed."""

from __future__ import annotations

import pytest

from core.errors import DataError
from kg.linking import EntityLinker, Mention, TokenMention, coverage
from model.text import Tokenizer

EX = "http://example.org/"
LABELS = [
    (EX + "neoplasm", "Neoplasms"),
    (EX + "glandular", "Neoplasms, Glandular and Epithelial"),
    (EX + "lung", "Lung"),
    (EX + "lung-neoplasm", "Lung Neoplasms"),
    (EX + "nhl", "Lymphoma, Non-Hodgkin"),
    (EX + "alzheimer", "Alzheimer Disease"),
    (EX + "meniere", "Ménière Disease"),
    (EX + "cat", "cat"),
    (EX + "feline", "cat"),  # one label, two entities
    (EX + "x", "X"),  # too short: ignored
]


@pytest.fixture(scope="module")
def linker() -> EntityLinker:
    return EntityLinker.from_labels(LABELS)


def _surfaces(mentions):
    return [(m.surface, m.entities) for m in mentions]


def test_longest_match_wins(linker):
    found = linker.link("Lung neoplasms spread from the lung.")
    assert _surfaces(found) == [("Lung neoplasms", (EX + "lung-neoplasm",)), ("lung", (EX + "lung",))]
    assert found[0] == Mention(0, 14, "Lung neoplasms", (EX + "lung-neoplasm",))


def test_case_punctuation_and_accent_normalization(linker):
    text = "ALZHEIMER'S DISEASE, meniere disease and non-hodgkin lymphoma"
    assert [m.entities[0] for m in linker.link(text)] == [EX + "alzheimer", EX + "meniere", EX + "nhl"]
    assert linker.link("Non Hodgkin Lymphoma")[0].entities == (EX + "nhl",)


def test_inverted_mesh_forms(linker):
    natural = linker.link("glandular and epithelial neoplasms were seen")
    assert _surfaces(natural) == [("glandular and epithelial neoplasms", (EX + "glandular",))]
    original = linker.link("Neoplasms, Glandular and Epithelial")
    assert _surfaces(original) == [("Neoplasms, Glandular and Epithelial", (EX + "glandular",))]
    # without the comma the inverted form is just two words: "Neoplasms" alone matches
    assert _surfaces(linker.link("neoplasms glandular")) == [("neoplasms", (EX + "neoplasm",))]
    plain = EntityLinker.from_labels(LABELS, invert_commas=False)
    assert [m.entities for m in plain.link("glandular and epithelial neoplasms")] == [(EX + "neoplasm",)]


def test_no_partial_word_matches(linker):
    assert linker.link("lungs catalogue concatenate bobcat neoplasmsx") == []
    assert _surfaces(linker.link("a cat.")) == [("cat", (EX + "cat", EX + "feline"))]
    assert linker.link("x marks the spot") == []  # labels shorter than min_chars are dropped


def test_non_overlapping_leftmost_longest():
    lk = EntityLinker.from_labels([("e:ab", "a b"), ("e:bc", "b c d"), ("e:c", "c"), ("e:d", "d")], min_chars=1)
    assert [(m.surface, m.entities[0]) for m in lk.link("a b c d")] == [("a b", "e:ab"), ("c", "e:c"), ("d", "e:d")]
    assert [m.entities[0] for m in lk.link("b c d")] == ["e:bc"]


def test_link_tokens_matches_tokenizer_output(linker):
    tokens = Tokenizer().tokenize("The lung neoplasms (non-Hodgkin lymphoma) of Alzheimer's disease patients")
    assert tokens[:4] == ["the", "lung", "neoplasms", "("]
    found = linker.link_tokens(tokens)
    assert found == [
        TokenMention(1, 3, (EX + "lung-neoplasm",)),
        TokenMention(4, 8, (EX + "nhl",)),
        TokenMention(10, 12, (EX + "alzheimer",)),
    ]
    assert tokens[4:8] == ["non", "-", "hodgkin", "lymphoma"]


def test_a_token_of_several_pieces_and_a_word_no_label_holds(linker):
    """A token may hold several pieces (``Non-Hodgkin``); a word no label holds still separates two
    labels' pieces; the second call answers from the linker's memo of the tokens alike."""
    for _ in range(2):
        assert linker.link_tokens(["Non-Hodgkin", "lymphoma", "of", "lung", "unknownword", "neoplasms"]) == [
            TokenMention(0, 2, (EX + "nhl",)), TokenMention(3, 4, (EX + "lung",)),
            TokenMention(5, 6, (EX + "neoplasm",))]


def test_a_token_of_no_piece_beside_a_token_of_two_keeps_the_token_indexes(linker):
    """Token ``-`` reads as no piece and ``Non-Hodgkin`` as two: as many characters as tokens, yet the
    mentions after them still index the tokens."""
    tokens = ["-", "Non-Hodgkin", "lymphoma", "cat", "lung"]
    assert linker.link_tokens(tokens) == [TokenMention(1, 3, (EX + "nhl",)),
                                          TokenMention(3, 4, (EX + "cat", EX + "feline")),
                                          TokenMention(4, 5, (EX + "lung",))]
    assert linker.link_tokens(tokens[1:]) == [TokenMention(0, 2, (EX + "nhl",)),
                                              TokenMention(2, 3, (EX + "cat", EX + "feline")),
                                              TokenMention(3, 4, (EX + "lung",))]


def test_from_store_style_triples_and_round_trip(tmp_path, linker):
    triples = [(iri, "http://www.w3.org/2000/01/rdf-schema#label", label) for iri, label in LABELS]
    from_triples = EntityLinker.from_labels(triples)
    assert from_triples.entries == linker.entries
    assert len(linker) == 10 and linker.entity_count == 9
    path = linker.save(tmp_path / "run" / "linker.json")
    back = EntityLinker.load(path)
    text = "Neoplasms, Glandular and Epithelial; lung neoplasms; a cat"
    assert back.entries == linker.entries and back.link(text) == linker.link(text)
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(DataError, match="not a kgft entity-linker file"):
        EntityLinker.load(tmp_path / "bad.json")


def test_coverage_numbers_by_hand(linker):
    texts = [
        "Lung neoplasms in the lung",  # 5 tokens; mentions: 2 + 1 tokens; entities lung-neoplasm, lung
        "a cat and a cat",             # 5 tokens; mentions 1 + 1; entities cat, feline
        "nothing here",                # 2 tokens; none
    ]
    report = coverage(linker, texts, Tokenizer(), top_k=2)
    assert (report.documents, report.tokens, report.linked_tokens) == (3, 12, 5)
    assert (report.linked_documents, report.mentions) == (2, 4)
    assert report.distinct_entities_per_doc == pytest.approx(4 / 3)
    assert report.token_share == pytest.approx(5 / 12)
    assert report.document_share == pytest.approx(2 / 3)
    assert report.top_entities == [(EX + "cat", 2), (EX + "feline", 2)]
    d = report.to_dict()
    assert d["document_share"] == pytest.approx(2 / 3) and d["top_entities"][0] == [EX + "cat", 2]


def test_a_pickled_linker_links_as_the_original_with_character_offsets_past_astral_characters():
    import pickle

    lk = EntityLinker.from_labels([("e:beta", "𝛽 cell"), ("e:cell", "cell"), ("e:delta", "Δ wave")], min_chars=1)
    text = "𝛽𝛽 the 𝛽 cell, a Δ wave and one cell"
    found = lk.link(text)
    assert _surfaces(found) == [("𝛽 cell", ("e:beta",)), ("Δ wave", ("e:delta",)), ("cell", ("e:cell",))]
    assert all(text[m.start:m.end] == m.surface for m in found)
    assert pickle.loads(pickle.dumps(lk)).link(text) == found


def test_empty_linker_links_nothing():
    assert EntityLinker.from_labels([]).link("anything at all") == []


def test_mesh_preferred_terms_on_ohsumed(mirror):
    """The issue's reference: MeSH 2017 preferred terms link 99.8% of Ohsumed docs, ~10 descriptors each."""
    from kg.convert.mesh import read_mesh_tree
    from kg.convert.namespaces import MESH
    from core.data import fetch
    from model.text import load_dataset

    _, terms, _ = read_mesh_tree(fetch("mesh-2017").files["mesh/2017MeshTree.txt"])
    lk = EntityLinker.from_labels((MESH + ui, term) for ui, term in terms.items())
    ds = load_dataset("ohsumed", valid_fraction=0.0)
    report = coverage(lk, (ex.text for ex in ds.train), Tokenizer())
    assert report.documents == 3357
    assert report.document_share >= 0.99
    assert 8.0 <= report.distinct_entities_per_doc <= 12.0
    neoplasms = lk.link("Glandular and Epithelial Neoplasms")  # MeSH: "Neoplasms, Glandular and Epithelial"
    assert neoplasms and neoplasms[0].entities == (MESH + "D009375",)


def test_plural_folding_matches_singular_and_plural_alike():
    from kg.linking import EntityLinker

    pairs = [("mesh:neo", "Neoplasms"), ("mesh:virus", "Virus Diseases"), ("mesh:therapy", "Therapies")]
    folded = EntityLinker.from_labels(pairs, fold_plurals=True)
    plain = EntityLinker.from_labels(pairs)
    text = "a neoplasm treated with new therapy ; viruses disease"
    assert [m.entities for m in folded.link(text)] == [("mesh:neo",), ("mesh:therapy",), ("mesh:virus",)]
    assert plain.link(text) == []
    assert folded.without(["mesh:neo"]).link(text)[0].entities == ("mesh:therapy",)
    assert EntityLinker.from_labels(pairs, fold_plurals=True).options["fold_plurals"] is True


def test_acronym_labels_match_only_words_in_capitals():
    from kg.linking import EntityLinker
    from model.text import Tokenizer

    pairs = [("do:all", "ALL"), ("do:all", "acute lymphoblastic leukemia"), ("mesh:aids", "AIDS"),
             ("mesh:hiv1", "HIV-1"), ("mesh:aid", "Aid"), ("mesh:dna", "DNA Repair")]
    linker = EntityLinker.from_labels(pairs, fold_plurals=True)
    text = "In ALL patients, all of them had AIDS and HIV-1; first aids; dna repair"
    found = [(m.surface, m.entities) for m in linker.link(text)]
    assert found == [("ALL", ("do:all",)), ("AIDS", ("mesh:aids",)), ("HIV-1", ("mesh:hiv1",)),
                     ("aids", ("mesh:aid",)), ("dna repair", ("mesh:dna",))]
    words, cased = Tokenizer().tokenize_with_case(text)
    assert words == Tokenizer().tokenize(text) and cased[1] == "ALL"
    by_tokens = [(cased[m.start], m.entities) for m in linker.link_tokens(cased)]
    assert by_tokens == [(s.split("-")[0].split(" ")[0], e) for s, e in found]
    assert [m.entities for m in linker.link_tokens(words)] == [("mesh:aid",), ("mesh:aid",), ("mesh:dna",)]
    assert linker.unlinked([("ALL", None)]).link(text)[0].surface == "AIDS"
