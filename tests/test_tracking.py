"""Experiment tracking (pipelines.tracking): what `kgft train` and `kgft embed` log equals their run files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import cli
from pipelines.tracking import flat_numbers
from toy_data import write_sentiment_csv

pytestmark = pytest.mark.usefixtures("one_torch_thread")

CUES = {"pos": ["good", "great", "fun"], "neg": ["bad", "awful", "boring"]}
FAST = ["--baseline", "--epochs", "2", "--embedding-dim", "8", "--hidden", "8", "--batch-size", "16",
        "--device", "cpu", "-q"]
TRIPLES = [("a", "likes", "b"), ("b", "likes", "c"), ("c", "likes", "a"), ("a", "knows", "c"),
           ("b", "knows", "a"), ("c", "knows", "b"), ("a", "likes", "c"), ("b", "knows", "c")]


def train(runner, tmp_path: Path, *tracker: str) -> Path:
    data = write_sentiment_csv(tmp_path / "reviews.csv", CUES, 60)
    out = tmp_path / "run"
    result = runner.invoke(cli, ["train", "--dataset", str(data), "--out", str(out), *FAST, *tracker])
    assert result.exit_code == 0, result.output
    return out


def expected_epochs(out: Path) -> dict[str, dict[int, float]]:
    """``{tag: {epoch: value}}`` from the run's own history.json."""
    history = json.loads((out / "seed-0" / "history.json").read_text())
    series: dict[str, dict[int, float]] = {}
    for epoch, record in enumerate(history, start=1):
        for name, value in flat_numbers(record, "seed-0/").items():
            series.setdefault(name, {})[epoch] = value
    return series


def tensorboard_scalars(log_dir: Path) -> tuple[dict[str, dict[int, float]], object]:
    """``({tag: {step: value}}, the EventAccumulator)`` of an event-file directory."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    return {tag: {e.step: e.value for e in events.Scalars(tag)} for tag in events.Tags()["scalars"]}, events


def test_train_writes_tensorboard_events_equal_to_its_run_files(runner, tmp_path):
    out = train(runner, tmp_path, "--tracker", "tensorboard")
    scalars, events = tensorboard_scalars(out / "tensorboard")
    epochs = expected_epochs(out)
    assert "seed-0/loss" in epochs and "seed-0/valid_macro_f1" in epochs
    for tag, values in epochs.items():
        assert scalars[tag] == pytest.approx(values, rel=1e-6), tag
    metrics = json.loads((out / "metrics.json").read_text())
    final = flat_numbers(metrics, "final/")
    assert "final/accuracy" in final
    for tag, value in final.items():
        assert scalars[tag] == pytest.approx({0: value}, rel=1e-6), tag
    images = set(events.Tags()["images"])
    assert {"confusion.png", "seed-0/curves.png"} <= images
    assert "config/text_summary" in events.Tags()["tensors"]  # the configuration as JSON text


def test_train_logs_an_mlflow_run_equal_to_its_run_files(runner, tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    from mlflow import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)  # the tracker sets it; restored afterwards
    out = train(runner, tmp_path, "--tracker", "mlflow")
    assert not (out / "tensorboard").exists()
    client = MlflowClient((out / "mlruns").resolve().as_uri())
    (run,) = client.search_runs([client.get_experiment_by_name("kgft").experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_name == "run"
    config = json.loads((out / "config.json").read_text())
    assert run.data.params["kind"] == "baseline" == config["kind"]
    assert run.data.params["train.optim.epochs"] == "2"
    for tag, values in expected_epochs(out).items():
        logged = {m.step: m.value for m in client.get_metric_history(run.info.run_id, tag)}
        assert logged == pytest.approx(values, rel=1e-6), tag
    metrics = json.loads((out / "metrics.json").read_text())
    final = flat_numbers(metrics, "final/")
    assert {k: v for k, v in run.data.metrics.items() if k.startswith("final/")} == pytest.approx(final, rel=1e-6)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert "confusion.png" in artifacts and "seed-0" in artifacts


def test_embed_logs_validation_curve_and_test_metrics(runner, tmp_path):
    bench = tmp_path / "bench"
    bench.mkdir()
    for split in ("train", "valid", "test"):
        (bench / f"{split}.txt").write_text("".join(f"{h}\t{r}\t{t}\n" for h, r, t in TRIPLES), encoding="utf-8")
    out = tmp_path / "kge"
    result = runner.invoke(cli, ["embed", "--triples", str(bench), "--dim", "4", "--epochs", "4", "--eval-every", "2",
                                 "--batch-size", "4", "--device", "cpu", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    scalars, _ = tensorboard_scalars(out / "tensorboard")
    metrics = json.loads((out / "metrics.json").read_text())
    curve = {record["epoch"]: record for record in metrics["valid"]}
    assert sorted(curve) == [2, 4]
    assert scalars["seed-0/mrr"] == pytest.approx({e: r["mrr"] for e, r in curve.items()}, rel=1e-6)
    assert scalars["seed-0/hits_10"] == pytest.approx({e: r["hits@10"] for e, r in curve.items()}, rel=1e-6)
    assert scalars["final/mrr"] == pytest.approx({0: metrics["mrr"]}, rel=1e-6)


def test_tracker_none_writes_nothing_and_unknown_is_a_usage_error(runner, tmp_path):
    out = train(runner, tmp_path, "--tracker", "none")
    assert not (out / "tensorboard").exists() and not (out / "mlruns").exists()
    result = runner.invoke(cli, ["train", "--out", str(tmp_path / "x"), "--tracker", "wandb"])
    assert result.exit_code == 2 and "'wandb' is not one of" in result.output
