"""The training run directory's checks (pipelines/run_dir.py), driven through the CLI."""

from __future__ import annotations

import json

from cli import cli
from toy_data import write_sentiment_csv

CUES = {"pos": ["good", "great"], "neg": ["bad", "awful"]}


def test_train_refuses_a_directory_with_only_an_interrupted_seed(runner, tmp_path):
    data = write_sentiment_csv(tmp_path / "d.csv", CUES, 40)
    out = tmp_path / "run"
    (out / "seed-0").mkdir(parents=True)
    res = runner.invoke(cli, ["train", "--dataset", str(data), "--out", str(out), "--epochs", "1", "-q"])
    assert res.exit_code == 1 and "already holds a training run" in res.output, res.output
    assert sorted(p.name for p in out.iterdir()) == ["seed-0"]


def test_evaluate_names_what_is_wrong_with_the_run_directory(runner, tmp_path):
    res = runner.invoke(cli, ["evaluate", str(tmp_path)])
    assert res.exit_code == 1 and "is not a kgft training run (no config.json)" in res.output, res.output
    (tmp_path / "config.json").write_text(json.dumps({"kind": "baseline"}), encoding="utf-8")
    res = runner.invoke(cli, ["evaluate", str(tmp_path)])
    assert res.exit_code == 1 and "is not a kgft training config" in res.output, res.output


def test_report_finds_finished_runs_below_a_study_and_skips_other_configs(tmp_path):
    from pipelines.report import find_runs

    def write(name: str, text: str) -> None:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")

    training = json.dumps({"kind": "baseline", "train": {}})
    write("a/done/config.json", training)
    write("a/done/metrics.json", "{}")
    write("a/unfinished/config.json", training)
    write("embedding/config.json", json.dumps({"model": "transe"}))  # another command's config
    write("broken/config.json", "{")
    runs, notes = find_runs([tmp_path])
    assert runs == [(tmp_path / "a" / "done").resolve()]
    assert notes == [f"{tmp_path / 'a' / 'unfinished'}: unfinished run (no metrics.json), left out"]
