"""A training run in a process of its own (the main job's baseline beside its other steps)."""

from __future__ import annotations

import json
import time

import pytest

from core.errors import DataError
from pipelines.background_run import BackgroundRun, fits_beside
from pipelines.train_config import TrainConfig
from tests.toy_data import write_sentiment_csv

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _config(data, **changes):
    return TrainConfig().replace(dataset=str(data), embedding_dim=8, hidden=8, batch_size=16, device="cpu",
                                 threads=1, **{"epochs": 2, **changes})


def test_a_run_in_its_own_process_ends_as_the_same_run_in_this_one(tmp_path):
    from pipelines.train import train

    data = write_sentiment_csv(tmp_path / "reviews.csv", {"pos": ["good"], "neg": ["bad"]}, 120)
    background = BackgroundRun(_config(data), tmp_path / "beside")
    here = train(_config(data), tmp_path / "here", resume=True).metrics
    try:
        assert background.result() == here
    finally:
        background.stop()
    assert background.seconds > 0 and not background.process.is_alive()
    saved = json.loads((tmp_path / "beside" / "metrics.json").read_text())
    assert saved["accuracy"] == here["accuracy"]


def test_the_runs_error_comes_back_as_itself(tmp_path):
    background = BackgroundRun(_config(tmp_path / "missing.csv"), tmp_path / "run")
    try:
        with pytest.raises(DataError, match="missing.csv"):
            background.result()
    finally:
        background.stop()


def test_a_stopped_run_ends_its_process(tmp_path):
    data = write_sentiment_csv(tmp_path / "reviews.csv", {"pos": ["good"], "neg": ["bad"]}, 2000)
    background = BackgroundRun(_config(data, epochs=500, patience=500), tmp_path / "run")
    time.sleep(1.0)
    started = time.perf_counter()
    background.stop()
    assert not background.process.is_alive() and background.process.exitcode is not None
    assert time.perf_counter() - started < 30


def test_ctrl_c_is_left_to_the_caller_whose_stop_saves_a_checkpoint(tmp_path):
    import os
    import signal

    data = write_sentiment_csv(tmp_path / "reviews.csv", {"pos": ["good"], "neg": ["bad"]}, 2000)
    background = BackgroundRun(_config(data, epochs=500, patience=500), tmp_path / "run")
    checkpoint = tmp_path / "run" / "seed-0" / "checkpoint.pt"
    try:
        deadline = time.monotonic() + 120
        while not checkpoint.is_file() and time.monotonic() < deadline:  # an epoch is over: training
            time.sleep(0.1)
        first = checkpoint.stat().st_mtime_ns
        os.kill(background.process.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends every process
        time.sleep(1.0)
        assert background.process.is_alive()
    finally:
        background.stop()
    assert background.process.exitcode == 0 and checkpoint.stat().st_mtime_ns > first
    with pytest.raises(KeyboardInterrupt):
        background.result()


def test_a_run_trains_beside_another_only_on_a_cpu_with_a_core_for_each(monkeypatch):
    import pipelines.background_run as background_run

    monkeypatch.setattr(background_run, "available_cores", lambda: 2)
    assert fits_beside(TrainConfig().replace(threads=1, device="cpu"))
    assert not fits_beside(TrainConfig().replace(threads=2, device="cpu"))
    assert not fits_beside(TrainConfig().replace(device="cpu"))  # no thread count: torch takes every core


def test_the_cores_a_process_may_use_are_its_affinity():
    import os

    from core.cores import available_cores

    assert available_cores() == len(os.sched_getaffinity(0)) >= 1


class _Sent:
    """A stand-in for the pipe's sending end: keeps what is sent, pickled as a pipe would."""

    def __init__(self):
        self.items = []

    def send(self, item):
        import pickle

        self.items.append(pickle.loads(pickle.dumps(item)))


def test_any_exception_of_the_run_is_sent_back_as_itself_or_as_its_text(monkeypatch):
    import signal
    import threading

    import pipelines.background_run as background_run
    import pipelines.train as train_module

    class Unpicklable(Exception):
        def __reduce__(self):
            raise TypeError("cannot pickle")

    import core.progress

    monkeypatch.setattr(core.progress, "_QUIET", core.progress._QUIET)  # _train silences progress bars
    previous = signal.getsignal(signal.SIGINT)
    try:
        for error, expected in ((ValueError("bad value"), ValueError), (Unpicklable("odd"), RuntimeError)):
            def failing(*_args, error=error, **_kwargs):
                raise error

            monkeypatch.setattr(train_module, "train", failing)
            sent = _Sent()
            background_run._train(None, "unused", sent)
            (status, value, _), = sent.items
            assert status == "error" and type(value) is expected and str(error) in str(value)
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, previous)


def test_a_run_whose_caller_is_killed_outright_saves_its_checkpoint_and_ends(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    data = write_sentiment_csv(tmp_path / "reviews.csv", {"pos": ["good"], "neg": ["bad"]}, 2000)
    checkpoint = tmp_path / "run" / "seed-0" / "checkpoint.pt"
    caller = subprocess.Popen([sys.executable, "-c", f"""
import sys, time
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
from pipelines.background_run import BackgroundRun
from pipelines.train_config import TrainConfig
config = TrainConfig().replace(dataset={str(data)!r}, embedding_dim=8, hidden=8, batch_size=16, device="cpu",
                               threads=1, epochs=500, patience=500)
print(BackgroundRun(config, {str(tmp_path / "run")!r}).process.pid, flush=True)
time.sleep(600)
"""], stdout=subprocess.PIPE, text=True)
    try:
        child = int(caller.stdout.readline())
        deadline = time.monotonic() + 120
        while not checkpoint.is_file() and time.monotonic() < deadline:  # an epoch is over: training
            time.sleep(0.1)
        first = checkpoint.stat().st_mtime_ns
    finally:
        caller.kill()
        caller.wait()
    deadline = time.monotonic() + 60
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _running(child)
    assert checkpoint.stat().st_mtime_ns > first  # saved on the way out


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    from pathlib import Path

    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text()
    except FileNotFoundError:
        return False
