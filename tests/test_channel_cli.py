"""The knowledge channel end to end through the CLI: train, evaluate, predict, explain, shuffled control."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from cli import cli
from tests.toy_data import import_store, write_sentiment_csv

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# A hierarchy (skos:broader) with class concepts; "dreadful" and "superb" appear in no training text.
ONTOLOGY = """@prefix ex: <http://example.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
ex:Positive skos:prefLabel "positive" .
ex:Negative skos:prefLabel "negative" .
ex:good skos:prefLabel "good" ; skos:broader ex:Positive .
ex:great skos:prefLabel "great" ; skos:broader ex:Positive .
ex:superb skos:prefLabel "superb" ; skos:broader ex:Positive .
ex:bad skos:prefLabel "bad" ; skos:broader ex:Negative .
ex:awful skos:prefLabel "awful" ; skos:broader ex:Negative .
ex:dreadful skos:prefLabel "dreadful" ; skos:broader ex:Negative .
ex:waste skos:prefLabel "waste of time" ; skos:broader ex:Negative .
"""
CUES = {"pos": ["good", "great", "goods"], "neg": ["bad", "awful", "a waste of time"]}
FAST = ["--epochs", "2", "--embedding-dim", "8", "--hidden", "8", "--batch-size", "16", "--device", "cpu",
        "--concept-dim", "4", "-q"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from click.testing import CliRunner

    root = tmp_path_factory.mktemp("channel")
    import_store(root, ONTOLOGY)
    runner = CliRunner()
    data = write_sentiment_csv(root / "reviews.csv", CUES, 120)
    out = root / "run"
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--knowledge", str(root / "store"), "--out", str(out),
                              "--reg-weight", "0", "--no-init", *FAST])
    assert res.exit_code == 0, res.output
    return root, data, out


def test_channel_run_saves_its_alignment_and_paired_predictions(trained):
    _, _, out = trained
    config = json.loads((out / "config.json").read_text())
    assert config["channel"]["class_concepts"] == {"neg": "http://example.org/Negative",
                                                   "pos": "http://example.org/Positive"}
    assert config["train"]["channel"]["enabled"] and config["train"]["linking"]["fold_plurals"]
    spec = json.loads((out / "channel.json").read_text())
    assert len(spec["concepts"]) == config["channel"]["concepts"] + 1
    probs = np.load(out / "seed-0" / "test_probabilities.npy")
    labels = np.load(out / "seed-0" / "test_labels.npy")
    seed_metrics = json.loads((out / "seed-0" / "metrics.json").read_text())["test"]
    assert probs.shape == (seed_metrics["n"], 2) and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert (probs.argmax(1) == labels).mean() == pytest.approx(seed_metrics["accuracy"])


def test_predict_agrees_with_evaluate_on_the_same_texts(runner, trained, tmp_path):
    root, data, out = trained
    res = runner.invoke(cli, ["evaluate", str(out), "--json", "-q"])
    assert res.exit_code == 0, res.output
    evaluated = json.loads(res.output)
    # the run's test split, written as a CSV, predicted by `kgft predict`
    from model.text import load_dataset

    test = load_dataset(str(data), seed=0).test
    texts = tmp_path / "test.csv"
    with open(texts, "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["id", "review"])
        w.writerows((i, ex.text) for i, ex in enumerate(test))
    preds = tmp_path / "preds.csv"
    res = runner.invoke(cli, ["predict", str(out), str(texts), "-o", str(preds), "--text-column", "review",
                              "--entities", "-q"])
    assert res.exit_code == 0, res.output
    assert f"{len(test)} texts predicted" in res.output
    rows = list(csv.DictReader(open(preds)))
    assert len(rows) == len(test) and set(rows[0]) == {"label", "p_neg", "p_pos", "entities"}
    labels = evaluated["labels"]
    accuracy = np.mean([r["label"] == labels[ex.label] for r, ex in zip(rows, test)])
    assert accuracy == pytest.approx(evaluated["accuracy"])
    assert any("http://example.org/" in r["entities"] for r in rows)
    # JSONL to stdout, text lines in
    lines = tmp_path / "lines.txt"
    lines.write_text("a dreadful waste of time\n\nsuperb and great\n")
    res = runner.invoke(cli, ["predict", str(out), str(lines), "-o", "-"])
    assert res.exit_code == 0, res.output
    out_rows = [json.loads(line) for line in res.output.splitlines()]
    assert len(out_rows) == 2 and set(out_rows[0]["probabilities"]) == {"neg", "pos"}


@pytest.mark.parametrize("args, message", [
    (["missing.csv", "-o", "x.csv"], "cannot read missing.csv"),
    (["BAD", "-o", "x.txt"], "use a .csv or .jsonl file"),
])
def test_predict_bad_input_is_one_line(runner, trained, tmp_path, args, message):
    _, data, out = trained
    args = [str(data) if a == "BAD" else a for a in args]
    res = runner.invoke(cli, ["predict", str(out), *args, "-q"])
    assert res.exit_code != 0 and message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "x.csv").exists()


def test_predict_names_the_missing_column(runner, trained):
    _, data, out = trained
    res = runner.invoke(cli, ["predict", str(out), str(data), "-o", "-", "--text-column", "body", "-q"])
    assert res.exit_code != 0 and "no column 'body'" in res.output and "--text-column" in res.output


def test_explanation_reaches_an_unseen_word_through_the_channel(runner, trained, tmp_path):
    root, data, _ = trained
    # trained jointly, so the BiLSTM reads the channel (fitted first, the toy data's linear part alone
    # is perfect on validation and is kept as epoch 0)
    out = tmp_path / "joint"
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--knowledge", str(root / "store"), "--out", str(out),
                              "--reg-weight", "0", "--no-init", "--joint-wide", *FAST])
    assert res.exit_code == 0, res.output
    target = tmp_path / "why.json"
    res = runner.invoke(cli, ["explain", str(out), "a dreadful film", "--format", "json", "-o", str(target), "-q"])
    assert res.exit_code == 0, res.output
    exp = json.loads(target.read_text())["explanations"][0]
    dreadful = next(e for e in exp["entities"] if e["iri"] == "http://example.org/dreadful")
    # "dreadful" is outside the vocabulary (read as <unk>) but carries knowledge through its concepts
    assert not exp["tokens"][1]["in_vocab"] and dreadful["channel_share"] > 0
    assert "http://example.org/Negative" in {b["concept"] for b in exp["bag"]}
    total = sum(t["attribution"] for t in exp["tokens"]) + sum(b["attribution"] for b in exp["bag"])
    assert total == pytest.approx(exp["completeness"]["sum"], abs=1e-6)


def test_shuffled_control_and_channel_ablations_train(runner, trained, tmp_path):
    root, data, out = trained
    runs = {}
    for name, flags in (("shuffled", ["--knowledge-control", "shuffled"]), ("random", ["--channel-init", "random"]),
                        ("off", ["--no-channel"])):
        runs[name] = tmp_path / name
        res = runner.invoke(cli, ["train", "--dataset", str(data), "--knowledge", str(out / "knowledge"),
                                  "--out", str(runs[name]), "--reg-weight", "0", "--no-init", *FAST, *flags])
        assert res.exit_code == 0, res.output
    shuffled = json.loads((runs["shuffled"] / "config.json").read_text())
    assert shuffled["kind"] == "shuffled" and shuffled["channel"]["shuffled"]
    assert not (runs["off"] / "channel.json").exists()
    assert json.loads((runs["random"] / "config.json").read_text())["train"]["channel"]["init"] == "random"


def test_expert_annotations_reach_linking_alignment_and_explanations(runner, tmp_path):
    store = import_store(tmp_path, ONTOLOGY)
    notes = tmp_path / "expert.tsv"
    notes.write_text("kind\tsubject\tobject\tauthor\n"
                     "link\ttop notch\thttp://example.org/great\tann\n"
                     "unlink\tbad\t\tann\n"
                     "class\tneg\thttp://example.org/awful\tann\n")
    res = runner.invoke(cli, ["annotate", "apply", str(notes), "--store", str(store)])
    assert res.exit_code == 0, res.output
    data = write_sentiment_csv(tmp_path / "reviews.csv", {"pos": ["top notch", "good"], "neg": ["bad", "awful"]}, 80)
    out = tmp_path / "run"
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--knowledge", str(store), "--out", str(out), *FAST])
    assert res.exit_code == 0, res.output
    links = json.loads((out / "token_links.json").read_text())
    assert "bad" not in links and links["good"] == ["http://example.org/good"]  # unlinked; ordinary link kept
    vocab = json.loads((out / "vocab.json").read_text())["itos"]
    assert "<ent:http://example.org/great>" in vocab  # the annotated phrase "top notch" links to great
    config = json.loads((out / "config.json").read_text())
    assert config["channel"]["class_concepts"]["neg"] == "http://example.org/awful"  # the expert's alignment
    target = tmp_path / "why.json"
    res = runner.invoke(cli, ["explain", str(out), "a top notch film", "--format", "json", "-o", str(target), "-q"])
    assert res.exit_code == 0, res.output
    entities = json.loads(target.read_text())["explanations"][0]["entities"]
    assert [m["text"] for e in entities if e["iri"] == "http://example.org/great" for m in e["mentions"]] == ["top notch"]
