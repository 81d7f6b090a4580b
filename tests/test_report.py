"""The knowledge-lift report (`kgft report`) and the study grid runner (bench/knowledge_lift.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cli import cli
from model.train.metrics import classification_metrics
from pipelines.report import report
from pipelines.train import SeedResult, TrainResult
from pipelines.train_config import TrainConfig, saved_settings
from toy_data import POLARITY_ONTOLOGY, write_sentiment_csv

LABELS = ["neg", "pos"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _seed_test(accuracy: float, n: int = 10) -> dict:
    """Test metrics of one seed whose accuracy is exactly ``accuracy`` on ``n`` examples."""
    y_true = [i % 2 for i in range(n)]
    correct = round(accuracy * n)
    y_pred = [y if i < correct else 1 - y for i, y in enumerate(y_true)]
    return classification_metrics(y_true, y_pred, LABELS)


def make_run(path: Path, arm: str, accuracies: list[float], fraction: float = 1.0, dataset: str = "mr",
             **overrides) -> Path:
    """A finished run directory written by the train pipeline's own TrainResult (same files, same format)."""
    switches = {"baseline": {"baseline": True}, "knowledge": {},
                "shuffled": {"knowledge_control": "shuffled"}}[arm]
    config = TrainConfig().replace(dataset=dataset, knowledge="runs/kge", train_fraction=fraction,
                                   seeds=len(accuracies), **{**switches, **overrides})
    seeds = [SeedResult(i, {"best_epoch": 1, "epochs_run": 2, "history": []}, _seed_test(a), 1.0)
             for i, a in enumerate(accuracies)]
    from pipelines.train import aggregate

    run_config = {"train": config.to_dict(), "kind": config.kind, "kgft_version": "0.1.0", "torch_version": "2",
                  "device": "cpu", "world_size": 1,
                  "dataset": {"name": dataset, "source": "test", "labels": LABELS,
                              "train": {"size": int(1000 * fraction), "per_label": {}}},
                  "knowledge": None, "labels": LABELS, "vocab_size": 10, "status": "finished", "wall_time_s": 12.5}
    TrainResult(run_config, aggregate(seeds, LABELS), seeds).save(path)
    return path


@pytest.fixture
def study(tmp_path) -> Path:
    """MR at 10 % and 100 %: KG lifts more at 10 %; the shuffled control beats the baseline at 100 % only."""
    root = tmp_path / "study"
    make_run(root / "f10-base", "baseline", [0.6, 0.7, 0.8], 0.1)
    make_run(root / "f10-kg", "knowledge", [0.8, 0.8, 0.9], 0.1)
    make_run(root / "f10-shuf", "shuffled", [0.7, 0.7, 0.7], 0.1)
    make_run(root / "f100-base", "baseline", [0.8, 0.8, 0.8], 1.0)
    make_run(root / "f100-kg", "knowledge", [0.9, 0.9, 0.8], 1.0)
    make_run(root / "f100-shuf", "shuffled", [0.9, 0.9, 0.9], 1.0)
    return root


def _cell(result, fraction, arm):
    return next(c for c in result.cells if c.fraction == fraction and c.arm == arm)


def test_report_exact_mean_std_lifts_and_checks(study, tmp_path):
    result = report([study], tmp_path / "out")
    assert len(result.cells) == 6 and len(result.runs) == 6
    base, kg = _cell(result, 0.1, "baseline"), _cell(result, 0.1, "knowledge")
    assert base.seeds == 3 and base.accuracy_mean == pytest.approx(0.7) and base.accuracy_std == pytest.approx(0.1)
    assert kg.accuracy_mean == pytest.approx(2.5 / 3) and kg.accuracy_std == pytest.approx(0.0577350269)
    assert _cell(result, 1.0, "shuffled").accuracy_std == 0.0
    assert base.macro_f1_mean == pytest.approx((0.6 + 0.7 + 0.8) / 3, abs=0.01)
    mr = result.findings["datasets"]["mr"]
    assert [lf["knowledge"] for lf in mr["lifts"]] == [13.33, 6.67]
    assert [lf["shuffled"] for lf in mr["lifts"]] == [0.0, 10.0]
    assert mr["small_vs_full"] == {"small": 0.1, "full": 1.0, "lift_small": 13.33, "lift_full": 6.67, "met": True}
    target = mr["target"]
    assert target["kg_accuracy"] == 86.67 and target["gap"] == pytest.approx(8.67) and target["met"] is True
    assert len(result.findings["warnings"]) == 1
    assert "mr at 100%" in result.findings["warnings"][0] and "not knowledge" in result.findings["warnings"][0]


def test_report_files_markdown_and_pngs(study, tmp_path):
    out = tmp_path / "out"
    report([study / "f10-base", study / "f10-kg", study / "f10-shuf", study / "f100-base", study / "f100-kg"], out)
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| mr | 10% | 100 | 3/3/3 | 70.00 ± 10.00 | 83.33 ± 5.77 | 70.00 ± 0.00 | +13.33 | +0.00 | +13.33 |" in md
    assert "| mr | 100% | 1000 | 3/3/0 | 80.00 ± 0.00 | 86.67 ± 5.77 | – | +6.67 | – | – |" in md
    assert "| mr | ≥ 78.00 | 86.67 (at 100%) | +8.67 (met) | 80.00 | +6.67 | TextGCN 76.74, Bi-LSTM 77.68 |" in md
    assert "lift at 10% of the training data is +13.33 points, at 100% +6.67: larger (goal met)" in md
    assert "WARNING" not in md and "does not beat the baseline anywhere" in md
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert len(summary["cells"]) == 5
    for name in ("accuracy_vs_fraction.png", "per_class_f1_change.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG_MAGIC)
        import matplotlib.image

        image = matplotlib.image.imread(out / name)
        assert image.shape[0] > 200 and image.shape[1] > 300
    assert not list(out.glob("*.tmp*"))


def test_a_dataset_whose_target_is_a_lift_only_gets_its_plots(tmp_path):
    """IMDB's target has no accuracy (a lift only): its panel draws no target line, and the report is written."""
    for arm, accuracies in (("baseline", [0.7, 0.8]), ("knowledge", [0.8, 0.8])):
        make_run(tmp_path / "runs" / arm, arm, accuracies, dataset="imdb")
    report([tmp_path / "runs"], tmp_path / "out")
    assert (tmp_path / "out" / "accuracy_vs_fraction.png").read_bytes().startswith(PNG_MAGIC)
    assert "| imdb | – | 80.00 (at 100%) | – | 75.00 | +5.00 (goal ≥ +5: met) | – |" in (
        tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_report_notes_hyperparameter_mismatch_and_target_not_met(tmp_path):
    make_run(tmp_path / "b", "baseline", [0.5, 0.6], dataset="ohsumed")
    make_run(tmp_path / "k", "knowledge", [0.6, 0.6], dataset="ohsumed", lr=0.01)
    result = report([tmp_path])
    t = result.findings["datasets"]["ohsumed"]["target"]
    assert t["kg_accuracy"] == 60.0 and t["gap"] == -10.0 and t["met"] is False
    assert t["lift"] == 5.0 and t["lift_met"] is False
    md = result.markdown()
    assert "+5.00 (goal ≥ +10: not met)" in md and "-10.00 (not met)" in md
    assert "ohsumed at 100%: settings differ between runs: optim.lr" in md
    assert "not measured" in md


def test_runs_of_one_dataset_capped_at_two_sizes_are_compared_apart(tmp_path):
    # A study's IMDB cells at 2,500 and 6,000 reviews: 10% of each is 250 and 600 reviews.
    for cap, accuracies in ((2500, ([0.7], [0.8])), (6000, ([0.6], [0.9]))):
        for fraction in (0.1, 1.0):
            for arm, acc in zip(("baseline", "knowledge"), accuracies):
                make_run(tmp_path / f"{cap}-{fraction}-{arm}", arm, acc, fraction, dataset="imdb",
                         max_train=round(cap * fraction))
    make_run(tmp_path / "mr", "baseline", [0.7], dataset="mr")
    result = report([tmp_path])
    assert sorted({c.dataset for c in result.cells}) == ["imdb (cap 2500)", "imdb (cap 6000)", "mr"]
    small = {c.dataset: c.accuracy_mean for c in result.cells if c.fraction == 0.1 and c.arm == "knowledge"}
    assert small == {"imdb (cap 2500)": pytest.approx(0.8), "imdb (cap 6000)": pytest.approx(0.9)}
    target = result.findings["datasets"]["imdb (cap 6000)"]["target"]
    assert (target["target"], target["met"], target["lift"], target["lift_met"]) == (None, None, 30.0, True)
    assert "| imdb (cap 6000) | – | 90.00 (at 100%) | – | 60.00 | +30.00 (goal ≥ +5: met) | – |" in result.markdown()
    assert not [n for n in result.notes if "settings differ" in n]


def test_cli_report_prints_markdown_and_warning(runner, study, tmp_path):
    out = tmp_path / "cli-out"
    res = runner.invoke(cli, ["report", str(study), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "| Dataset | Train fraction |" in res.output
    assert "**WARNING** mr at 100%: the shuffled-KG control beats the baseline by +10.00 points" in res.output
    assert f"report of 6 runs written to {out}" in res.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["report.md", "summary.json", "accuracy_vs_fraction.png", "per_class_f1_change.png"])
    res = runner.invoke(cli, ["report", str(study), "-o", str(out), "--json"])
    assert res.exit_code == 0 and '"warnings": [' in res.output


def test_cli_report_bad_input_is_one_line(runner, tmp_path):
    res = runner.invoke(cli, ["report"])
    assert res.exit_code == 1 and "no run directories given" in res.output
    assert len(res.output.strip().splitlines()) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    res = runner.invoke(cli, ["report", str(empty), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1 and f"{empty}: no metrics.json" in res.output
    assert len(res.output.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
    res = runner.invoke(cli, ["report", str(tmp_path / "missing")])
    assert res.exit_code == 1 and "no such run directory" in res.output
    broken = make_run(tmp_path / "broken", "baseline", [0.5, 0.6])
    (broken / "metrics.json").write_text('{"accuracy": 0.5,', encoding="utf-8")
    res = runner.invoke(cli, ["report", str(broken)])
    assert res.exit_code == 1 and "metrics.json:1:18: not valid JSON" in res.output
    (broken / "metrics.json").write_text('{"accuracy": 0.5}', encoding="utf-8")
    res = runner.invoke(cli, ["report", str(broken)])
    assert res.exit_code == 1 and "missing or malformed metric" in res.output


# ------------------------------------------------------------------ the grid runner, end to end (tiny)
def _toy_csv(path: Path, n: int = 80) -> Path:
    return write_sentiment_csv(path, {"pos": ["good", "great", "fun"], "neg": ["bad", "awful", "boring"]}, n,
                               max_filler=8)


def _load_bench():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "bench" / "knowledge_lift.py"
    spec = importlib.util.spec_from_file_location("knowledge_lift", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_grid_runner_end_to_end_on_a_toy_dataset(tmp_path, capsys):
    bench = _load_bench()
    (tmp_path / "toy.ttl").write_text(POLARITY_ONTOLOGY, encoding="utf-8")
    data = _toy_csv(tmp_path / "toy.csv")
    grid = tmp_path / "grid.toml"
    grid.write_text(f"""
[study]
datasets = ["toy"]
fractions = [0.5, 1.0]
seeds = 1
[knowledge]
model = "transe"
dim = 8
epochs = 2
eval_every = 2
batch_size = 16
threads = 1
[train]
threads = 1
epochs = 1
embedding_dim = 8
hidden = 8
batch_size = 16
max_len = 16
min_freq = 1
[datasets.toy]
source = {json.dumps(str(data))}
knowledge = "toyonto"
[sources.toyonto]
files = [{json.dumps(str(tmp_path / "toy.ttl"))}]
""", encoding="utf-8")
    out = tmp_path / "study"
    assert bench.main(["--grid", str(grid), "--out", str(out), "--device", "cpu", "--quiet", "--jobs", "2"]) == 0
    assert sorted(p.name for p in (out / "logs").iterdir()) == ["toy-f050.log", "toy-f100.log"]  # one worker a cell
    summary = json.loads((out / "study.json").read_text(encoding="utf-8"))
    assert [(r["fraction"], r["arm"]) for r in summary["runs"]] == [
        (f, a) for f in (0.5, 1.0) for a in ("baseline", "knowledge", "shuffled")]
    assert all(r["seeds"] == 1 and r["device"] == "cpu" and r["kgft_version"] for r in summary["runs"])
    assert summary["knowledge"]["toyonto"]["store_triples"] > 10
    assert [Path(r["run_dirs"][0]).name for r in summary["runs"]] == [
        "baseline-s0", "knowledge-s0", "shuffled-s0", "baseline", "knowledge", "shuffled"]  # a subsample per seed
    configs = [json.loads((Path(r["run_dirs"][0]) / "config.json").read_text()) for r in summary["runs"]]
    assert [c["kind"] for c in configs[:3]] == ["baseline", "knowledge", "shuffled"]
    drop = {"knowledge.baseline", "knowledge.control", "data.split_seed", "seeds"}
    assert len({json.dumps({k: v for k, v in saved_settings(c["train"]).items() if k not in drop}, sort_keys=True)
                for c in configs[:3]}) == 1  # identical settings across arms except the switches
    assert configs[0]["dataset"]["train"]["size"] < configs[3]["dataset"]["train"]["size"]
    md = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert "| toy | 50% |" in md and "| toy | 100% |" in md
    assert "study of 6 runs" in capsys.readouterr().out
    # a second run reuses everything: no training, same summary
    before = (out / "runs" / "toy" / "f050" / "knowledge-s0" / "metrics.json").read_bytes()
    assert bench.main(["--grid", str(grid), "--out", str(out), "--device", "cpu", "--quiet"]) == 0
    assert (out / "runs" / "toy" / "f050" / "knowledge-s0" / "metrics.json").read_bytes() == before


def test_grid_runner_refuses_bad_grid_files(tmp_path, capsys):
    bench = _load_bench()
    bad = tmp_path / "bad.toml"
    for text, message in (('[study]\ndatasets = ["mr"]\n[trian]\nepochs = 1\n', "unknown section(s) trian"),
                          ('[study]\ndatasets = []\n', "[study] needs datasets"),
                          ('[study]\ndatasets = ["mr"]\n[sources.x]\n', "[sources.x] needs files"),
                          ('[study\n', "invalid TOML")):
        bad.write_text(text, encoding="utf-8")
        assert bench.main(["--grid", str(bad), "--out", str(tmp_path / "o")]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err
    assert bench.main(["--grid", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")]) == 1
    assert "no grid" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_fraction_of_a_capped_training_set_is_a_fraction_of_the_cap():
    bench = _load_bench()
    grid = bench.Grid.load("cpu")
    small, full = (grid.train_config("imdb", f, "knowledge", Path("k"), "cpu", 1) for f in (0.1, 1.0))
    assert (small.data.max_train, full.data.max_train) == (250, 2500)
    assert small.data.train_fraction == 0.1 and small.knowledge.source == "k"
    assert grid.train_config("mr", 0.1, "baseline", Path("k"), "cpu", 1).data.max_train is None


def test_a_cell_on_a_subsample_is_one_run_per_seed_each_drawing_its_own():
    """Fractions below 1 and capped datasets: one run per seed, the seed drawing the subsample and
    the grid's seed the held-out splits; a cell on the whole training split: one run of all seeds."""
    bench = _load_bench()
    grid = bench.Grid.load("cpu")
    cell = Path("cell")
    runs = bench.arm_runs(grid, "mr", 0.1, "knowledge", cell, Path("k"), "cpu", 1)
    assert [d.name for d, _ in runs] == ["knowledge-s0", "knowledge-s1", "knowledge-s2"]
    assert [(c.seed, c.seeds, c.data.split_seed) for _, c in runs] == [(0, 1, 0), (1, 1, 0), (2, 1, 0)]
    assert len(bench.arm_runs(grid, "imdb", 1.0, "baseline", cell, Path("k"), "cpu", 1)) == 3  # capped at 2,500
    [(whole, config)] = bench.arm_runs(grid, "mr", 1.0, "shuffled", cell, Path("k"), "cpu", 1)
    assert whole.name == "shuffled" and config.seeds == 3 and config.data.split_seed is None
