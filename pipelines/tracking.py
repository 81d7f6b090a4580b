"""Experiment tracking for ``kgft train`` and ``kgft embed``: TensorBoard event files or an MLflow run.

Like PyKEEN's result trackers, a :class:`Tracker` receives a run's per-epoch
losses and validation metrics while it trains (through the pipelines'
``on_epoch_end`` hook, :func:`epoch_logger`), then its configuration as
parameters, its final metrics and its PNG plots (:func:`log_finished_run`):

- ``tensorboard`` (:class:`TensorBoardTracker`): event files in
  ``<run>/tensorboard`` (``tensorboard --logdir runs/``); the configuration
  as hyper-parameters and as a JSON text, the plots as images.
- ``mlflow`` (:class:`MlflowTracker`): one MLflow run in the store named by
  ``MLFLOW_TRACKING_URI``, by default a local file store ``<run>/mlruns``
  (``mlflow ui --backend-store-uri <run>/mlruns``; MLflow 3 keeps that store
  in maintenance mode, so kgft sets ``MLFLOW_ALLOW_FILE_STORE=true`` for it);
  the plots as artifacts. Needs ``pip install 'kgft[tracking]'``.
- ``none`` (:class:`NullTracker`).

Metric names are the keys of ``metrics.json`` and of the epoch records, nested
keys joined with ``/`` and characters MLflow refuses replaced by ``_``
(:func:`metric_name`: ``hits@10`` → ``hits_10``). Per-epoch values go under
``seed-N/`` (one series per seed of a multi-seed run), final ones under ``final/``.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from pathlib import Path
from typing import Callable, Protocol

from core.errors import ConfigError

#: ``--tracker`` choices; ``auto`` is TensorBoard when the package is installed, else none.
TRACKERS = ("auto", "tensorboard", "mlflow", "none")
TENSORBOARD_DIR = "tensorboard"
MLFLOW_DIR = "mlruns"
MLFLOW_EXPERIMENT = "kgft"
MLFLOW_PARAM_CHARS = 6000  # MLflow's limit on a parameter value
MLFLOW_BATCH_PARAMS = 100  # and on the parameters of one log_batch call
_BAD_NAME = re.compile(r"[^\w./ -]")


class Tracker(Protocol):
    """Where a run's parameters, metrics and plots are logged."""

    def log_params(self, params: dict) -> None:
        """Log the run's configuration (nested dicts allowed)."""

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        """Log numbers (already flat, see :func:`flat_numbers`) at ``step``."""

    def log_artifacts(self, run_dir: Path) -> None:
        """Log the PNG files under ``run_dir``."""

    def close(self) -> None:
        """Flush and finish the run."""


def metric_name(key: str) -> str:
    """A metric or parameter name both backends accept (``hits@10`` → ``hits_10``)."""
    return _BAD_NAME.sub("_", key)


def flat_numbers(data: dict, prefix: str = "") -> dict[str, float]:
    """The finite numbers of a (nested) dict, keys joined with ``/`` (lists, strings and booleans left out)."""
    out: dict[str, float] = {}
    for key, value in data.items():
        name = metric_name(f"{prefix}{key}")
        if isinstance(value, dict):
            out.update(flat_numbers(value, name + "/"))
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out[name] = float(value)
    return out


def flat_params(data: dict, prefix: str = "") -> dict[str, str | int | float | bool]:
    """A configuration as flat scalar parameters, keys joined with ``.`` (lists and ``None`` as JSON text)."""
    out: dict = {}
    for key, value in data.items():
        name = metric_name(f"{prefix}{key}")
        if isinstance(value, dict):
            out.update(flat_params(value, name + "."))
        elif isinstance(value, (str, int, float, bool)):
            out[name] = value
        else:
            out[name] = json.dumps(value, default=str)
    return out


def _pngs(run_dir: Path) -> list[Path]:
    return sorted(p for p in Path(run_dir).rglob("*.png") if MLFLOW_DIR not in p.relative_to(run_dir).parts)


class NullTracker(Tracker):
    """Logs nothing (``--tracker none``): the protocol's methods do nothing."""


class TensorBoardTracker:
    """TensorBoard event files in ``log_dir`` (written from the first call on).

    Args:
        log_dir (Path): The event-file directory, e.g. ``<run>/tensorboard``.
    """

    def __init__(self, log_dir: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter  # needs the tensorboard package

        self.log_dir = Path(log_dir)
        self._writer_type = SummaryWriter
        self._writer = None

    @property
    def writer(self):
        """The ``SummaryWriter`` (created on first use, so a refused run leaves no file)."""
        if self._writer is None:
            self._writer = self._writer_type(str(self.log_dir))
        return self._writer

    def log_params(self, params: dict) -> None:
        """The configuration as TensorBoard hyper-parameters and as a JSON text ``config``."""
        from torch.utils.tensorboard.summary import hparams

        self.writer.add_text("config", "```\n" + json.dumps(params, indent=2, default=str) + "\n```")
        for summary in hparams(flat_params(params), {}):
            self.writer.file_writer.add_summary(summary)

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        """One scalar per metric at ``step``."""
        for name, value in metrics.items():
            self.writer.add_scalar(name, value, step)

    def log_artifacts(self, run_dir: Path) -> None:
        """Each PNG under ``run_dir`` as an image tagged with its relative path."""
        from matplotlib.image import imread

        for png in _pngs(run_dir):
            self.writer.add_image(png.relative_to(run_dir).as_posix(), imread(png), dataformats="HWC")

    def close(self) -> None:
        """Flush the event file."""
        if self._writer is not None:
            self._writer.close()


class MlflowTracker:
    """One MLflow run (experiment ``kgft``), through ``mlflow.MlflowClient``.

    Args:
        tracking_uri (str): The MLflow store, e.g. ``file:///.../run/mlruns``.
        run_name (str): The run's name in MLflow (the run directory's name).
    """

    def __init__(self, tracking_uri: str, run_name: str) -> None:
        from mlflow import MlflowClient

        self.client = MlflowClient(tracking_uri)
        experiment = self.client.get_experiment_by_name(MLFLOW_EXPERIMENT)
        experiment_id = experiment.experiment_id if experiment else self.client.create_experiment(MLFLOW_EXPERIMENT)
        self.run_id = self.client.create_run(experiment_id, run_name=run_name).info.run_id

    def log_params(self, params: dict) -> None:
        """The flattened configuration as MLflow parameters."""
        from mlflow.entities import Param

        params = [Param(k, str(v)[:MLFLOW_PARAM_CHARS]) for k, v in flat_params(params).items()]
        for start in range(0, len(params), MLFLOW_BATCH_PARAMS):
            self.client.log_batch(self.run_id, params=params[start:start + MLFLOW_BATCH_PARAMS])

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        """All metrics in one batch at ``step``."""
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[Metric(k, v, now, step) for k, v in metrics.items()])

    def log_artifacts(self, run_dir: Path) -> None:
        """Each PNG under ``run_dir`` as an artifact, in its relative folder."""
        for png in _pngs(run_dir):
            folder = png.parent.relative_to(run_dir).as_posix()
            self.client.log_artifact(self.run_id, str(png), None if folder == "." else folder)

    def close(self) -> None:
        """Mark the run finished."""
        self.client.set_terminated(self.run_id)


def make_tracker(name: str, run_dir: Path | str) -> Tracker:
    """The tracker ``--tracker NAME`` asks for, writing under ``run_dir``.

    Under ``torchrun`` only rank 0 tracks; the other ranks get a :class:`NullTracker`.

    Args:
        name (str): One of :data:`TRACKERS`.
        run_dir (Path or str): The run directory (``--out``).

    Raises:
        ConfigError: an unknown name, or the backend's package is not installed.
    """
    if name not in TRACKERS:
        raise ConfigError(f"unknown tracker {name!r}", hint=f"use one of: {', '.join(TRACKERS)}")
    run_dir = Path(run_dir)
    if name == "none" or os.environ.get("RANK", "0") != "0":
        return NullTracker()
    if name in ("auto", "tensorboard"):
        try:
            return TensorBoardTracker(run_dir / TENSORBOARD_DIR)
        except ImportError:
            if name == "auto":
                return NullTracker()
            raise ConfigError("--tracker tensorboard needs the tensorboard package",
                              hint="pip install tensorboard") from None
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        uri = (run_dir / MLFLOW_DIR).resolve().as_uri()
        # MLflow 3 keeps its file store "in maintenance mode" and refuses it unless told otherwise.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    try:
        return MlflowTracker(uri, run_dir.resolve().name)
    except ImportError:
        raise ConfigError("--tracker mlflow needs the mlflow package", hint="pip install 'kgft[tracking]'") from None


def epoch_logger(tracker: Tracker, first_seed: int = 0) -> Callable[[int, dict], None]:
    """An ``on_epoch_end(epoch, record)`` hook logging the record's numbers under ``seed-N/`` at step ``epoch``.

    Args:
        tracker (Tracker): Where to log.
        first_seed (int): The run's first seed; an epoch count that starts
            again is the next seed's. (default: ``0``)
    """
    state = {"seed": first_seed, "last": 0}

    def on_epoch_end(epoch: int, record: dict) -> None:
        if epoch <= state["last"]:
            state["seed"] += 1
        state["last"] = epoch
        tracker.log_metrics(flat_numbers(record, f"seed-{state['seed']}/"), epoch)

    return on_epoch_end


def log_finished_run(tracker: Tracker, config: dict, metrics: dict, run_dir: Path | str | None) -> None:
    """Log a finished run: ``config`` as parameters, ``metrics`` under ``final/`` (step 0), its PNG plots.

    Args:
        tracker (Tracker): Where to log (the caller closes it).
        config (dict): The run's ``config.json``.
        metrics (dict): The run's ``metrics.json``.
        run_dir (Path or str, optional): The run directory (PNG plots); ``None``: no plots.
    """
    tracker.log_params(config)
    tracker.log_metrics(flat_numbers(metrics, "final/"), 0)
    if run_dir is not None:
        tracker.log_artifacts(Path(run_dir))
