"""The ``annotate`` commands on the embedded store, through CliRunner: file format, checks, provenance, round trip."""

from __future__ import annotations

import json

import pytest

from cli import cli

C = "http://example.org/c#"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
TTL = f"""@prefix : <{C}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
:MI a owl:Class ; rdfs:label "Myocardial infarction" .
:Heart a owl:Class ; rdfs:label "Heart" .
"""
HEADER = ["kind", "subject", "predicate", "object", "author", "note"]
ROWS = [
    ["link", "heart attack", "", C + "MI", "ana", "lay term"],
    ["unlink", "heart", "", "*", "ana", ""],
    ["class", "cardiac", "", C + "Heart", "bob", ""],
    ["triple", C + "MI", COMMENT, '"a heart attack"@en', "bob", ""],
]


def invoke(runner, *args):
    return runner.invoke(cli, [str(a) for a in args])


def write_tsv(path, rows, header=HEADER):
    path.write_text("".join("\t".join(cells) + "\n" for cells in [header] + rows), encoding="utf-8")
    return path


@pytest.fixture
def store(runner, tmp_path):
    onto = tmp_path / "onto.ttl"
    onto.write_text(TTL, encoding="utf-8")
    directory = tmp_path / "store"
    assert invoke(runner, "ontology", "import", "-q", onto, "--store", directory).exit_code == 0
    return directory


def listed(runner, store):
    result = invoke(runner, "annotate", "list", "--store", store, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def stats(runner, store):
    result = invoke(runner, "ontology", "stats", "--store", store, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def triples(runner, store):
    return stats(runner, store)["triples"]


def exported(runner, store, path):
    result = invoke(runner, "annotate", "export", "--store", store, "-o", path)
    assert result.exit_code == 0, result.output
    return path.read_text(encoding="utf-8")


def test_apply_lists_provenance_and_is_idempotent(runner, store, tmp_path):
    tsv = write_tsv(tmp_path / "expert.tsv", ROWS)
    first = invoke(runner, "annotate", "apply", tsv, "--store", store)
    assert first.exit_code == 0, first.output
    assert "expert.tsv: 4 rows, 4 new, 0 removed, 1 triples added" in first.output
    rows = listed(runner, store)
    assert [(r["kind"], r["source"], r["line"], r["author"]) for r in rows] == [
        ("link", "expert.tsv", 2, "ana"), ("unlink", "expert.tsv", 3, "ana"),
        ("class", "expert.tsv", 4, "bob"), ("triple", "expert.tsv", 5, "bob")]
    assert rows[0]["note"] == "lay term" and rows[1]["object"] == "" and rows[0]["time"].endswith("Z")
    again = invoke(runner, "annotate", "apply", tsv, "--store", store)
    assert "4 rows, 0 new, 0 removed, 0 triples added" in again.output
    assert listed(runner, store) == rows


def test_only_triple_rows_change_the_graph(runner, store, tmp_path):
    before = triples(runner, store)
    unchanged = stats(runner, store)
    invoke(runner, "annotate", "apply", write_tsv(tmp_path / "a.tsv", ROWS[:3]), "--store", store)
    assert stats(runner, store) == unchanged
    out = tmp_path / "graph.nt"
    assert invoke(runner, "ontology", "export", "--store", store, "-o", out).exit_code == 0
    assert "annotation" not in out.read_text(encoding="utf-8")
    assert invoke(runner, "annotate", "apply", write_tsv(tmp_path / "t.tsv", ROWS[3:]), "--store", store).exit_code == 0
    assert triples(runner, store) == before + 1
    removed = invoke(runner, "annotate", "remove", tmp_path / "t.tsv", "--store", store)
    assert "1 annotations removed" in removed.output
    assert triples(runner, store) == before
    assert len(listed(runner, store)) == 3


def test_removing_a_triple_row_keeps_a_statement_the_ontology_holds(runner, store, tmp_path):
    held = [["triple", C + "MI", "http://www.w3.org/2000/01/rdf-schema#label", '"Myocardial infarction"', "", ""]]
    before = triples(runner, store)
    assert invoke(runner, "annotate", "apply", write_tsv(tmp_path / "h.tsv", held), "--store", store).exit_code == 0
    assert invoke(runner, "annotate", "remove", "--source", "h.tsv", "--store", store).exit_code == 0
    assert triples(runner, store) == before
    assert listed(runner, store) == []


def test_csv_and_short_rows_are_read(runner, store, tmp_path):
    csv_file = tmp_path / "expert.csv"
    csv_file.write_text("kind,subject,object\nlink,MI,http://example.org/c#MI\n"
                        "# a comment\n\nclass,heart disease,http://example.org/c#Heart\n", encoding="utf-8")
    result = invoke(runner, "annotate", "apply", csv_file, "--store", store)
    assert result.exit_code == 0, result.output
    short = write_tsv(tmp_path / "short.tsv", [["unlink", "cardiac"]])  # trailing empty cells dropped by an editor
    result = invoke(runner, "annotate", "apply", short, "--store", store)
    assert result.exit_code == 0, result.output
    assert [(r["kind"], r["subject"], r["object"], r["line"]) for r in listed(runner, store)] == [
        ("link", "MI", C + "MI", 2), ("class", "heart disease", C + "Heart", 5), ("unlink", "cardiac", "", 2)]


BAD = [
    (["kind", "subject"], [["link", "x"]], 1, "missing column 'object'"),
    (["kind", "subject", "object", "colour"], [["link", "x", C + "MI", "red"]], 1, "unknown column 'colour'"),
    (HEADER, [ROWS[0], ["synonym", "x", "", C + "MI", "", ""]], 3, "unknown kind 'synonym'"),
    (HEADER, [["link", "x", "", "not an iri", "", ""]], 2, "object 'not an iri' is not an absolute IRI"),
    (HEADER, [["triple", C + "MI", "", C + "Heart", "", ""]], 2, "triple row without a predicate"),
    (HEADER, [["triple", C + "MI", COMMENT, '"open', "", ""]], 2, "malformed literal"),
    (HEADER, [["triple", C + "MI", COMMENT, '"x"@e n', "", ""]], 2, "malformed literal"),
    (HEADER, [ROWS[0], ROWS[1] + ["extra"]], 3, "expected 6 cells, found 7"),
    (HEADER, [ROWS[0], ["link", "x"]], 3, "link row without an object"),
    (HEADER, [["link", "x", C + "MI", C + "MI", "", ""]], 2, "a link row has no predicate"),
    ([], [], 1, "empty annotation file: no header"),
    (HEADER, [ROWS[0], ["unlink", "Heart Attack", "", C + "MI", "", ""]], 3,
     "the unlink row of 'Heart Attack' contradicts the link row at bad.tsv:2"),
    (HEADER, [["unlink", "heart attack", "", "", "", ""], ROWS[0]], 3,
     "the link row of 'heart attack' contradicts the unlink row at bad.tsv:2"),
    (HEADER, [ROWS[2], ["class", "cardiac", "", C + "MI", "", ""]], 3,
     "the class row of 'cardiac' contradicts the class row at bad.tsv:2"),
    (HEADER, [ROWS[0], ROWS[0]], 3, "the same link row as bad.tsv:2"),
    (HEADER, [ROWS[0], ["link", "stroke", "", C + "Stroke", "", ""]], 3, f"unknown concept <{C}Stroke>"),
]


@pytest.mark.parametrize("case", BAD, ids=[reason.split(" ")[0] + str(i) for i, (*_, reason) in enumerate(BAD)])
def test_a_bad_file_is_refused_with_file_line_and_nothing_written(runner, store, tmp_path, case):
    header, rows, line, reason = case
    bad = write_tsv(tmp_path / "bad.tsv", rows, header)
    result = invoke(runner, "annotate", "apply", bad, "--store", store)
    assert result.exit_code == 1
    assert f"bad.tsv:{line}: {reason}" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert listed(runner, store) == []
    assert triples(runner, store) == 4


def test_a_line_break_in_a_csv_cell_is_refused(runner, store, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text('kind,subject,object,note\nlink,MI,http://example.org/c#MI,"two\nlines"\n', encoding="utf-8")
    result = invoke(runner, "annotate", "apply", bad, "--store", store)
    assert result.exit_code == 1
    assert "bad.csv:2: a cell holds a tab or a line break" in result.output
    assert listed(runner, store) == []


def test_a_file_contradicting_another_files_annotations_is_refused(runner, store, tmp_path):
    assert invoke(runner, "annotate", "apply", write_tsv(tmp_path / "a.tsv", ROWS), "--store", store).exit_code == 0
    other = write_tsv(tmp_path / "b.tsv", [["link", "Heart", "", C + "Heart", "", ""]])
    result = invoke(runner, "annotate", "apply", other, "--store", store)
    assert result.exit_code == 1
    assert "b.tsv:2: the link row of 'Heart' contradicts the unlink row at a.tsv:3" in result.output
    assert len(listed(runner, store)) == 4


def test_allow_new_accepts_an_unknown_concept(runner, store, tmp_path):
    tsv = write_tsv(tmp_path / "new.tsv", [["link", "stroke", "", C + "Stroke", "", ""]])
    assert invoke(runner, "annotate", "apply", tsv, "--store", store).exit_code == 1
    result = invoke(runner, "annotate", "apply", tsv, "--store", store, "--allow-new")
    assert result.exit_code == 0, result.output
    assert [r["object"] for r in listed(runner, store)] == [C + "Stroke"]


def test_reapplying_an_edited_file_replaces_its_rows(runner, store, tmp_path):
    tsv = write_tsv(tmp_path / "a.tsv", ROWS)
    invoke(runner, "annotate", "apply", tsv, "--store", store)
    write_tsv(tsv, ROWS[:2])
    result = invoke(runner, "annotate", "apply", tsv, "--store", store)
    assert "2 rows, 0 new, 2 removed" in result.output
    assert [r["kind"] for r in listed(runner, store)] == ["link", "unlink"]
    assert triples(runner, store) == 4


def test_remove_by_file_and_by_source(runner, store, tmp_path):
    a = write_tsv(tmp_path / "a.tsv", ROWS[:2])
    b = write_tsv(tmp_path / "b.tsv", ROWS[2:])
    for path in (a, b):
        assert invoke(runner, "annotate", "apply", path, "--store", store).exit_code == 0
    assert "2 annotations removed" in invoke(runner, "annotate", "remove", a, "--store", store).output
    assert {r["source"] for r in listed(runner, store)} == {"b.tsv"}
    assert "2 annotations removed" in invoke(runner, "annotate", "remove", "--source", "b.tsv",
                                             "--store", store).output
    assert listed(runner, store) == [] and triples(runner, store) == 4
    unknown = invoke(runner, "annotate", "remove", "--source", "b.tsv", "--store", store)
    assert unknown.exit_code == 1 and "no annotations from 'b.tsv'" in unknown.output
    both = invoke(runner, "annotate", "remove", a, "--source", "a.tsv", "--store", store)
    assert both.exit_code == 2


@pytest.mark.parametrize("suffix", [".tsv", ".csv"])
def test_export_round_trip(runner, store, tmp_path, suffix):
    invoke(runner, "annotate", "apply", write_tsv(tmp_path / "a.tsv", ROWS), "--store", store)
    first = exported(runner, store, tmp_path / f"export{suffix}")
    assert len(first.splitlines()) == 5
    fresh = tmp_path / "fresh"
    result = invoke(runner, "annotate", "apply", tmp_path / f"export{suffix}", "--store", fresh, "--allow-new")
    assert result.exit_code == 0, result.output
    keys = ("kind", "subject", "predicate", "object", "author", "note")
    assert sorted(tuple(r[k] for k in keys) for r in listed(runner, fresh)) == \
        sorted(tuple(r[k] for k in keys) for r in listed(runner, store))
    assert exported(runner, fresh, tmp_path / f"again{suffix}") == first
    assert triples(runner, fresh) == 1


def test_hooks_give_the_linker_and_classifier_their_rows(runner, store, tmp_path):
    from kg.annotations.backends import stored_annotations
    from kg.annotations.hooks import annotated_label_pairs, class_concepts
    from kg.embedded import EmbeddedStore

    invoke(runner, "annotate", "apply", write_tsv(tmp_path / "a.tsv", ROWS), "--store", store)
    with EmbeddedStore(store, read_only=True) as opened:
        stored = stored_annotations(opened)
    assert annotated_label_pairs(stored) == ([(C + "MI", "heart attack")], [("heart", None)])
    assert class_concepts(stored) == {"cardiac": C + "Heart"}
