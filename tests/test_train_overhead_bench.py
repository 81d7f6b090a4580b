"""bench/train_overhead.py --runs: whole kgft train processes with and without --baseline, alternating."""

import re

import pytest

from tests.test_channel_cli import CUES, ONTOLOGY
from tests.toy_data import import_store, write_sentiment_csv


def _config(path, data):
    path.write_text(f"""device = "cpu"
[data]
dataset = "{data}"
[model]
embedding_dim = 8
hidden = 8
[optim]
epochs = 2
batch_size = 16
[channel]
concept_dim = 4
""", encoding="utf-8")
    return str(path)


def test_runs_mode_alternates_whole_runs_and_reports_the_ratio_of_median_epochs(tmp_path, capsys):
    from bench.train_overhead import compare_runs

    store = import_store(tmp_path, ONTOLOGY)
    data = write_sentiment_csv(tmp_path / "reviews.csv", CUES, 120)
    compare_runs(_config(tmp_path / "run.toml", data), ["--knowledge", str(store)], 1)
    out = capsys.readouterr().out
    assert re.search(r"baseline +median epoch +[0-9.]+ s over 2 epochs", out), out  # one run of 2 epochs each
    assert re.search(r"knowledge +median epoch +[0-9.]+ s over 2 epochs", out), out
    assert float(re.search(r"ratio knowledge / baseline ([0-9.]+)", out).group(1)) > 0


def test_runs_mode_refuses_a_configuration_without_knowledge(tmp_path):
    from bench.train_overhead import compare_runs

    data = write_sentiment_csv(tmp_path / "reviews.csv", CUES, 60)
    with pytest.raises(SystemExit, match="the knowledge arm trained a baseline run"):
        compare_runs(_config(tmp_path / "run.toml", data), [], 1)
