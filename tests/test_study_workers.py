"""The study's worker processes (``bench/knowledge_lift.py --jobs``): failures reported, workers stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.study_workers import run_workers  # noqa: E402

# a worker: prints its cell, then exits with the code the cell's dataset names
WORKER = [sys.executable, "-c", "import sys; cell = sys.argv[2]; print('cell', cell); sys.exit(int(cell[4]))"]


def test_each_cell_runs_in_a_worker_with_its_log_and_a_failed_one_is_named(tmp_path):
    with pytest.raises(DataError) as caught:
        run_workers([("code0", 0.1), ("code3", 1.0), ("code0", 1.0)], WORKER, 2, tmp_path / "logs")
    assert "study cell(s) code3-f100 failed" in str(caught.value)
    logs = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert logs == ["code0-f010.log", "code0-f100.log", "code3-f100.log"]
    assert (tmp_path / "logs" / "code0-f010.log").read_text().strip() == "cell code0:0.1"
    run_workers([("code0", 0.5)], WORKER, 1, tmp_path / "logs")  # all well: no error


def test_sigterm_stops_the_study_and_its_workers(tmp_path):
    """The study process turns SIGTERM into an interrupt and terminates the workers it started."""
    pids = tmp_path / "pids"
    script = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from bench.study_workers import run_workers
worker = [sys.executable, "-c", "import os, sys, time; open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\\\n'); time.sleep(60)"]
run_workers([("a", 1.0), ("b", 1.0)], worker, 2, __import__("pathlib").Path({str(tmp_path / "logs")!r}))
"""
    study = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while (not pids.exists() or len(pids.read_text().split()) < 2) and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = [int(p) for p in pids.read_text().split()]
    assert len(workers) == 2
    study.send_signal(signal.SIGTERM)
    assert study.wait(timeout=30) != 0
    assert "KeyboardInterrupt" in study.stderr.read()
    for pid in workers:  # terminated and reaped by the study
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_cells_linear_floor_is_kept_and_computed_again_only_when_its_settings_change(tmp_path, monkeypatch):
    import bench.linear_floor as linear_floor
    from bench.knowledge_lift import cell_floor
    from pipelines.train_config import TrainConfig

    calls = []
    monkeypatch.setattr(linear_floor, "floors",
                        lambda config, seeds: [calls.append(seed) or {"tfidf": {"test": seed}} for seed in seeds])
    config, path = TrainConfig().replace(dataset="mr", seed=3), tmp_path / "linear_floor.json"
    assert cell_floor(config, 2, path) == [{"tfidf": {"test": 3}}, {"tfidf": {"test": 4}}] and calls == [3, 4]
    assert cell_floor(config.replace(threads=2), 2, path) == [{"tfidf": {"test": 3}}, {"tfidf": {"test": 4}}]
    assert calls == [3, 4]  # read back: the thread count is not a setting of the floor
    cell_floor(config.replace(channel_concept_dim=8, hidden=16, epochs=1), 2, path)
    assert calls == [3, 4]  # nor the channel's vectors, the BiLSTM's or its optimizer's
    cell_floor(config.replace(max_len=32), 2, path)
    assert calls == [3, 4, 3, 4]  # another truncation: computed again
    cell_floor(config.replace(max_len=32), 3, path)
    assert calls == [3, 4, 3, 4, 3, 4, 5]  # another seed count


def test_a_worker_refuses_a_cell_its_grid_does_not_have(tmp_path, capsys):
    from bench.knowledge_lift import main

    assert main(["--grid", "cpu", "--out", str(tmp_path / "o"), "--cell", "mr:0.5", "--quiet"]) == 1
    assert "error: no cell 'mr:0.5' in grid cpu" in capsys.readouterr().err
    assert main(["--grid", "cpu", "--out", str(tmp_path / "o"), "--jobs", "0", "--quiet"]) == 1
    assert "--jobs must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
