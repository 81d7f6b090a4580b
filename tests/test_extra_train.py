"""``kgft train --extra-train``: labelled rows appended to the training split."""

from __future__ import annotations

import csv
import json

import pytest

from cli import cli
from toy_data import write_sentiment_csv

pytestmark = pytest.mark.usefixtures("one_torch_thread")

CUES = {"pos": ["good", "great", "fun"], "neg": ["bad", "awful", "boring"]}
FAST = ["--epochs", "1", "--embedding-dim", "8", "--hidden", "8", "--batch-size", "16", "--device", "cpu",
        "--threads", "1", "-q"]


def write_rows(path, rows, header=("text", "label")):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([list(header), *rows])
    return path


def train(runner, tmp_path, out, *extra):
    data = write_sentiment_csv(tmp_path / "d.csv", CUES, 100)
    return runner.invoke(cli, ["train", "--dataset", str(data), "--out", str(tmp_path / out), "--max-train", "30",
                               *FAST, *[str(a) for a in extra]])


def test_extra_rows_are_added_after_subsampling_and_recorded(runner, tmp_path):
    extra_csv = write_rows(tmp_path / "labelled.csv", [["a truly marvellous film", "pos"],
                                                       ["dreadful acting throughout", "neg"],
                                                       ["marvellous marvellous", "pos"]])
    extra_jsonl = tmp_path / "more.jsonl"
    extra_jsonl.write_text('{"text": "dreadful", "label": "neg"}\n\n{"text": "marvellous", "label": "pos"}\n',
                           encoding="utf-8")
    plain = train(runner, tmp_path, "plain")
    assert plain.exit_code == 0, plain.output
    added = train(runner, tmp_path, "added", "--extra-train", extra_csv, "--extra-train", extra_jsonl)
    assert added.exit_code == 0, added.output
    before = json.loads((tmp_path / "plain" / "config.json").read_text())
    after = json.loads((tmp_path / "added" / "config.json").read_text())
    assert before["dataset"]["train"]["size"] == 30  # --max-train caps the dataset's own split only
    assert after["dataset"]["train"]["size"] == 35
    assert after["dataset"]["train"]["per_label"] == {
        label: n + {"pos": 3, "neg": 2}[label] for label, n in before["dataset"]["train"]["per_label"].items()}
    assert after["dataset"]["valid"] == before["dataset"]["valid"]
    assert after["dataset"]["test"] == before["dataset"]["test"]
    assert after["train"]["data"]["extra_train"] == [str(extra_csv), str(extra_jsonl)]
    assert before["train"]["data"]["extra_train"] == []
    # the extra rows are trained on: their words are in the vocabulary
    vocab = (tmp_path / "added" / "vocab.json").read_text()
    assert "marvellous" in vocab and "dreadful" in vocab
    assert "marvellous" not in (tmp_path / "plain" / "vocab.json").read_text()
    # evaluating reads only the test split: the extra files may be gone
    extra_csv.unlink()
    extra_jsonl.unlink()
    evaluated = runner.invoke(cli, ["evaluate", str(tmp_path / "added"), "--device", "cpu", "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.output)["accuracy"] == pytest.approx(
        json.loads((tmp_path / "added" / "metrics.json").read_text())["accuracy"])


@pytest.mark.parametrize("rows, message", [
    ([["nice", "pos"], ["odd one", "meh"]], "labelled.csv:3: unknown label 'meh'"),
    ([["nice", "pos"], ["no label here", ""]], "labelled.csv:3: row without a label"),
    ([["", "pos"]], "labelled.csv:2: empty text"),
])
def test_bad_extra_rows_are_one_line_errors_and_nothing_is_written(runner, tmp_path, rows, message):
    bad = write_rows(tmp_path / "labelled.csv", rows)
    result = train(runner, tmp_path, "run", "--extra-train", bad)
    assert result.exit_code == 1, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_a_missing_column_or_file_is_refused(runner, tmp_path):
    other = write_rows(tmp_path / "other.csv", [["nice", "pos"]], header=("sentence", "label"))
    result = train(runner, tmp_path, "run", "--extra-train", other)
    assert result.exit_code == 1 and "no column 'text'" in result.output
    result = train(runner, tmp_path, "run", "--extra-train", tmp_path / "absent.csv")
    assert result.exit_code == 1 and "absent.csv" in result.output
    assert not (tmp_path / "run").exists()


def test_config_file_and_resume_keep_the_extra_files(runner, tmp_path):
    extra = write_rows(tmp_path / "labelled.csv", [["marvellous", "pos"], ["dreadful", "neg"]])
    data = write_sentiment_csv(tmp_path / "d.csv", CUES, 60)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'dataset = "{data}"\nextra_train = "{extra}"\nepochs = 1\nembedding_dim = 8\nhidden = 8\n'
                   'device = "cpu"\nthreads = 1\n', encoding="utf-8")
    out = tmp_path / "run"
    result = runner.invoke(cli, ["train", "--config", str(cfg), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "config.json").read_text())
    assert saved["train"]["data"]["extra_train"] == [str(extra)]
    resumed = runner.invoke(cli, ["train", "--out", str(out), "--resume", "-q"])
    assert resumed.exit_code == 0, resumed.output
