"""``kgft annotate suggest``: proposals in the annotation format, --min-score, and pool selection."""

from __future__ import annotations

import csv
import json
import random

import pytest

from cli import cli

pytestmark = pytest.mark.usefixtures("one_torch_thread")

EX = "http://example.org/med#"
TTL = f"""@prefix ex: <{EX}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
ex:Cardiac rdfs:label "Cardiac disease" .
ex:Nervous rdfs:label "Nervous system disease" .
ex:Angina rdfs:label "angina" ; skos:broader ex:Cardiac .
ex:Arrhythmia rdfs:label "arrhythmia" ; skos:broader ex:Cardiac .
ex:MI rdfs:label "myocardial infarction" ; skos:broader ex:Cardiac .
ex:Migraine rdfs:label "migraine" ; skos:broader ex:Nervous .
ex:Epilepsy rdfs:label "epilepsy" ; skos:broader ex:Nervous .
ex:Tremor rdfs:label "tremor" ; skos:broader ex:Nervous .
"""
FILLER = "the patient was seen after a visit and treated with care over weeks".split()
CUES = {"cardiac": ["angina", "arrhythmia"], "neural": ["migraine", "epilepsy", "tremor"]}


def invoke(runner, *args):
    return runner.invoke(cli, [str(a) for a in args])


def write_dataset(path, n=160):
    """Cardiac and neural notes; a third of the cardiac ones say "myocardial infarct" (no label links it)."""
    rng = random.Random(0)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for i in range(n):
            label = "cardiac" if i % 2 else "neural"
            words = rng.sample(FILLER, 5) + [rng.choice(CUES[label])]
            if label == "cardiac" and i % 3 == 1:
                words += ["myocardial", "infarct"]
            writer.writerow([" ".join(words), label])
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from kg.embedded import EmbeddedStore

    root = tmp_path_factory.mktemp("suggest")
    ttl = root / "med.ttl"
    ttl.write_text(TTL, encoding="utf-8")
    with EmbeddedStore(root / "store") as store:
        store.import_file(ttl)
    return {"root": root, "store": root / "store", "data": write_dataset(root / "notes.csv")}


def suggest(runner, world, out, *extra):
    result = invoke(runner, "annotate", "suggest", "--dataset", world["data"], "--store", world["store"], "-o", out,
                    *extra)
    assert result.exit_code == 0, result.output
    return result


def rows_of(path):
    from kg.annotations.fileformat import read_annotations

    return read_annotations(path)


def test_suggestions_propose_the_missing_phrase_and_the_class(runner, world, tmp_path):
    out = tmp_path / "suggestions.tsv"
    result = suggest(runner, world, out)
    assert "link and" in result.output
    rows = rows_of(out)
    assert all(row.score is not None and 0 <= row.score <= 1 and row.reason for row in rows)
    assert out.read_text(encoding="utf-8").splitlines()[0].split("\t")[-2:] == ["score", "reason"]
    links = [row for row in rows if row.kind == "link"]
    best_mi = max((row for row in links if row.object == EX + "MI"), key=lambda row: row.score)
    assert best_mi.subject == "myocardial infarct"
    assert "labelled cardiac" in best_mi.reason
    assert [row.score for row in links] == sorted((row.score for row in links), reverse=True)
    assert not any(row.subject in ("angina", "migraine") for row in links)  # those link already
    classes = {row.subject: row.object for row in rows if row.kind == "class"}
    assert classes == {"neural": EX + "Nervous"}  # "cardiac" aligns by its name already


def test_suggestions_apply_and_are_deterministic(runner, world, tmp_path):
    first, second = tmp_path / "a" / "s.tsv", tmp_path / "b" / "s.tsv"
    first.parent.mkdir()
    second.parent.mkdir()
    suggest(runner, world, first, "--seed", "3")
    suggest(runner, world, second, "--seed", "3")
    assert first.read_bytes() == second.read_bytes()
    store = tmp_path / "store"
    import shutil

    shutil.copytree(world["store"], store)
    applied = invoke(runner, "annotate", "apply", first, "--store", store)
    assert applied.exit_code == 0, applied.output
    listed = json.loads(invoke(runner, "annotate", "list", "--store", store, "--json").output)
    assert len(listed) == len(rows_of(first))
    # the applied link now links: a second round no longer proposes it
    again = tmp_path / "again.tsv"
    suggest(runner, world | {"store": store}, again, "--seed", "3")
    assert not [row for row in rows_of(again) if row.subject == "myocardial infarct" and row.object == EX + "MI"]


def test_min_score_applies_only_rows_above_it(runner, world, tmp_path):
    import shutil

    out = tmp_path / "s.tsv"
    suggest(runner, world, out)
    scores = sorted(row.score for row in rows_of(out))
    threshold = scores[len(scores) // 2]
    store = tmp_path / "store"
    shutil.copytree(world["store"], store)
    result = invoke(runner, "annotate", "apply", out, "--store", store, "--min-score", threshold)
    assert result.exit_code == 0, result.output
    listed = json.loads(invoke(runner, "annotate", "list", "--store", store, "--json").output)
    kept = [row for row in rows_of(out) if row.score >= threshold]
    assert 0 < len(listed) == len(kept) < len(scores)
    assert sorted((r["source"], r["line"]) for r in listed) == sorted((out.name, row.line) for row in kept)
    bad = invoke(runner, "annotate", "apply", out, "--store", store, "--min-score", "2")
    assert bad.exit_code == 1 and "between 0 and 1" in bad.output


def test_a_bad_score_cell_is_a_one_line_error(runner, world, tmp_path):
    tsv = tmp_path / "bad.tsv"
    tsv.write_text(f"kind\tsubject\tobject\tscore\nlink\tmi\t{EX}MI\thigh\n", encoding="utf-8")
    result = invoke(runner, "annotate", "apply", tsv, "--store", world["store"], "--min-score", "0.5")
    assert result.exit_code == 1
    assert "bad.tsv:2: score 'high' is not a number" in result.output
    assert str(tmp_path) in result.output and len(result.output.strip().splitlines()) == 1


def test_plain_files_round_trip_without_score_columns(tmp_path):
    from kg.annotations.fileformat import write_annotations

    text = f"kind\tsubject\tpredicate\tobject\tauthor\tnote\nlink\theart attack\t\t{EX}MI\tana\tlay\n"
    src = tmp_path / "in.tsv"
    src.write_text(text, encoding="utf-8")
    write_annotations(rows_of(src), tmp_path / "out.tsv")
    assert (tmp_path / "out.tsv").read_text(encoding="utf-8") == text


@pytest.mark.parametrize("args, message", [
    (["--dataset", "no-such-data"], "no dataset 'no-such-data'"),
    (["--store", "missing-store"], "no embedded store in"),
    (["--run", "missing-run"], "run directory not found"),
    (["--embedding", "missing-run"], "is not an embedding run"),
])
def test_bad_input_gives_one_line_errors(runner, world, tmp_path, args, message):
    given = {"--dataset": world["data"], "--store": world["store"]}
    for name, value in zip(args[::2], args[1::2]):
        given[name] = tmp_path / value if name != "--dataset" else value
    flat = [part for pair in given.items() for part in pair]
    result = invoke(runner, "annotate", "suggest", *flat, "-o", tmp_path / "s.tsv")
    assert result.exit_code == 1, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "s.tsv").exists()


def test_kge_neighbours_join_the_graph_context():
    import numpy as np

    from kg.annotations.context import ConceptContext
    from kg.annotations.kge_neighbours import KgeNeighbours

    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    nearest = KgeNeighbours(["x", "y", "z", "w"], vectors, k=2)
    assert nearest("x") == ("y", "z") and nearest("unknown") == ()
    assert nearest.among(["z", "w", "x"])("x") == ("z", "w")  # itself never; only the given ones
    docs = [{"y"}, {"y"}, {"z"}, set(), set(), set()]
    assert ConceptContext(docs).lift({0, 1}, "x") == 0.0  # x has no edge and is linked nowhere
    assert ConceptContext(docs, nearest=KgeNeighbours(["x", "y", "z", "w"], vectors, k=1)).lift({0, 1}, "x") == 1.0


def test_suggestions_take_kge_neighbours_from_an_embedding_run(runner, world, tmp_path):
    run = tmp_path / "embedding"
    embedded = invoke(runner, "embed", "--store", world["store"], "--epochs", "2", "--dim", "8", "--device", "cpu",
                      "--out", run)
    assert embedded.exit_code == 0, embedded.output
    out = tmp_path / "with-kge.tsv"
    suggest(runner, world, out, "--embedding", run)
    best_mi = max((row for row in rows_of(out) if row.kind == "link" and row.object == EX + "MI"),
                  key=lambda row: row.score)
    assert best_mi.subject == "myocardial infarct"


def test_pool_selection_picks_the_least_confident_texts(runner, world, tmp_path):
    from pipelines.train import train
    from pipelines.train_config import TrainConfig

    run = tmp_path / "run"
    train(TrainConfig().replace(dataset=str(world["data"]), baseline=True, epochs=3, embedding_dim=8, hidden=8,
                                batch_size=16, lr=1e-2, min_freq=1, device="cpu", threads=1), run)
    pool = tmp_path / "pool.txt"
    texts = ["angina arrhythmia angina", "migraine tremor epilepsy", "the patient was seen",
             "angina migraine", "treated with care", "epilepsy after a visit", "arrhythmia over weeks",
             "myocardial infarct", "tremor and angina"]
    pool.write_text("\n".join(texts) + "\n", encoding="utf-8")
    picked = tmp_path / "label-me.csv"
    result = suggest(runner, world, tmp_path / "s.tsv", "--run", run, "--pool", pool, "--select", 3,
                     "--pool-output", picked)
    assert "3 of 9 pool texts" in result.output
    predicted = tmp_path / "pred.csv"
    assert invoke(runner, "predict", run, pool, "-o", predicted).exit_code == 0
    with open(predicted, encoding="utf-8") as handle:
        probs = [sorted((float(v) for k, v in row.items() if k.startswith("p_")), reverse=True)
                 for row in csv.DictReader(handle)]
    margins = sorted((p[0] - p[1], i) for i, p in enumerate(probs))
    with open(picked, encoding="utf-8") as handle:
        chosen = list(csv.DictReader(handle))
    assert [row["text"] for row in chosen] == [texts[i] for _, i in margins[:3]]
    assert all(row["label"] == "" and row["top_tokens"] and row["reason"].startswith("margin") for row in chosen)
    assert [float(row["score"]) for row in chosen] == sorted((float(row["score"]) for row in chosen), reverse=True)


@pytest.mark.neo4j
def test_suggestions_read_the_neo4j_store(runner, world, tmp_path, neo4j_settings):
    """The same proposals from the ontology imported into Neo4j (its own namespace, removed afterwards)."""
    import uuid

    from kg.neo4j_store import Neo4jStore
    from kg.parse import file_sha256

    ns = f"http://kgft.test/suggest-{uuid.uuid4().hex[:10]}#"
    ttl = tmp_path / "med.ttl"
    ttl.write_text(TTL.replace(EX, ns), encoding="utf-8")
    with Neo4jStore(neo4j_settings) as store:
        store.import_file(ttl)
        try:
            out = tmp_path / "neo4j.tsv"
            result = invoke(runner, "annotate", "suggest", "--dataset", world["data"], "--neo4j", "-o", out)
            assert result.exit_code == 0, result.output
            rows = rows_of(out)
            best_mi = max((r for r in rows if r.kind == "link" and r.object == ns + "MI"), key=lambda r: r.score)
            assert best_mi.subject == "myocardial infarct"
            assert {r.subject: r.object for r in rows if r.kind == "class"}.get("neural") == ns + "Nervous"
        finally:
            store.delete([ns])
            store.forget_import(file_sha256(ttl))


def test_suggest_refuses_store_and_neo4j_together(runner, world, tmp_path):
    result = invoke(runner, "annotate", "suggest", "--dataset", world["data"], "--store", world["store"], "--neo4j",
                    "-o", tmp_path / "x.tsv")
    assert result.exit_code == 2 and "mutually exclusive" in result.output
    assert not (tmp_path / "x.tsv").exists()


def test_suggestion_effect_thresholds_keep_the_top_shares_of_the_link_rows(tmp_path):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench" / "suggestion_effect.py"
    spec = importlib.util.spec_from_file_location("suggestion_effect", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = tmp_path / "s.tsv"
    rows.write_text("kind\tsubject\tobject\tscore\treason\n"
                    + "".join(f"link\tphrase {i}\t{EX}MI\t{score}\tr\n" for i, score in enumerate((0.6, 0.9, 0.7, 0.8)))
                    + f"class\tcardiac\t{EX}Cardiac\t0.99\tr\n", encoding="utf-8")
    assert bench.thresholds(rows, [0.25, 0.5, 1.0]) == [0.9, 0.8, 0.6]
    empty = tmp_path / "none.tsv"
    empty.write_text("kind\tsubject\tobject\n", encoding="utf-8")
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="no scored link proposals"):
        bench.thresholds(empty, [0.5])
