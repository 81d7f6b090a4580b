"""The main job end to end on the mirror's real data, shrunk: both arms, the baseline beside the rest."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = """
device = "cpu"
seed = 0
threads = 1

[data]
dataset = "imdb"
max_train = 200
max_valid = 100
max_test = 200
max_len = 50
truncate = "tail"
min_freq = 2

[model]
embedding_dim = 16
hidden = 16

[optim]
epochs = 1
batch_size = 32

[embed]
model = "transe"
dim = 16
epochs = 1
batch_size = 5000
num_negatives = 1
"""


def test_the_main_job_trains_both_arms_and_a_rerun_reads_them_back(mirror, tmp_path):
    from pipelines.background_run import fits_beside
    from pipelines.quickstart import quickstart, resolve_config

    config_file = tmp_path / "small.toml"
    config_file.write_text(SMALL)
    out = tmp_path / "main"
    first = quickstart(out, config_file)
    for arm in ("baseline", "knowledge"):  # every test review predicted once
        assert sum(map(sum, first.runs[arm]["confusion_matrix"])) == 200
    assert first.comparison["examples"] == 200 and first.knowledge["coverage"]["document_share"] > 0.9
    if fits_beside(resolve_config(config_file, {})):  # the baseline trained in its own process, beside the rest
        assert list(first.steps)[-1] == "baseline" and first.steps["baseline"] > 0
    saved = json.loads((out / "quickstart.json").read_text())
    assert saved["runs"] == first.runs
    again = quickstart(out, config_file)  # every step's output is there: read back, nothing trained
    assert again.runs == first.runs and again.comparison == first.comparison
    assert again.steps["baseline"] < 5 and again.steps["knowledge"] < 5


def test_the_table_gives_the_mean_and_spread_over_seeds(tmp_path):
    from pipelines.quickstart import QuickstartResult

    def run(acc, std, seeds):
        return {"accuracy": acc, "accuracy_std": std, "macro_f1": acc, "macro_f1_std": std, "seeds": seeds}

    comparison = {"diff": 0.01, "ci_low": -0.002, "ci_high": 0.02, "examples": 300, "seeds": 3, "mcnemar_p": 0.2}
    three = QuickstartResult(tmp_path, {"baseline": run(0.8, 0.004, 3), "knowledge": run(0.81, 0.002, 3)},
                             comparison=comparison).table()
    assert "mean ± std of 3 seeds" in three and "0.8000 ± 0.0040" in three and "0.8100 ± 0.0020" in three
    assert "over 300 test reviews x 3 seeds" in three
    one = QuickstartResult(tmp_path, {"baseline": run(0.8, 0.0, 1), "knowledge": run(0.81, 0.0, 1)},
                           comparison={**comparison, "seeds": 1}).table()
    assert "±" not in one and "seeds" not in one
