"""The layout of a ``kgft train`` run directory: where each file lives, how JSON is written, what a run is.

Every other module asks :class:`RunDir` for a run file's path instead of
naming the file::

    RUN_DIR/
      config.json            resolved settings and run facts (status running → finished)
      tokenizer.json         tokenizer options, max_len, truncation
      vocab.json             the vocabulary
      knowledge.json         knowledge summary            (knowledge runs)
      coverage.json          linker coverage of training  (knowledge runs)
      token_links.json       word → entities it stood for (knowledge runs)
      linker.json            the entity linker            (knowledge runs)
      channel.json           the knowledge channel's spec (channel runs)
      metrics.json           aggregated test metrics (the run is finished)
      confusion.png          pooled confusion matrix
      evaluation-NAME.json   ``kgft evaluate`` on dataset NAME (and .png)
      seed-N/                one per seed, see :class:`SeedDir`

The checkpoint names come from :mod:`model.train.loop`, which writes them.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.errors import ModelError
from core.fsutil import write_json_atomic

SEED_PREFIX = "seed-"


def write_json(path: Path, obj) -> Path:
    """Write ``obj`` as indented JSON atomically (see :func:`core.fsutil.write_json_atomic`).

    Args:
        path (Path): Target file (parents are created).
        obj: JSON-serializable value; other objects are written with ``str``.

    Returns:
        Path: The file written.
    """
    return write_json_atomic(path, obj, indent=2, default=str)


class RunFile:
    """A file at a fixed name in a directory: read on an instance, it is that file's :class:`~pathlib.Path`.

    Args:
        name (str): The file name.
        doc (str): What the file holds.
    """

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = f"``{name}``: {doc}"

    def __get__(self, directory, owner=None) -> Path | RunFile:
        return self if directory is None else directory.path / self.name


class SeedDir:
    """The ``seed-N/`` directory of one seed: its checkpoints, metrics and test predictions.

    Args:
        path (Path): The directory.
    """

    metrics = RunFile("metrics.json", "the seed's fit and test result (the seed is finished).")
    history = RunFile("history.json", "one record per epoch.")
    probabilities = RunFile("test_probabilities.npy",
                            "``[examples, classes]`` test probabilities (paired comparisons).")
    labels = RunFile("test_labels.npy", "the test labels in the same order.")
    curves = RunFile("curves.png", "learning curves.")
    confusion = RunFile("confusion.png", "the seed's test confusion matrix.")

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @property
    def checkpoint(self) -> Path:
        """``checkpoint.pt``: the last epoch's training state (named and written by the trainer)."""
        from model.train.loop import CHECKPOINT

        return self.path / CHECKPOINT

    @property
    def best(self) -> Path:
        """``best.pt``: the classifier of the best validation epoch (named and written by the trainer)."""
        from model.train.loop import BEST

        return self.path / BEST


class RunDir:
    """A training run directory: the paths of its files and checks of what it holds.

    Args:
        path (Path or str): The directory (it need not exist yet).
    """

    config = RunFile("config.json", "resolved settings and run facts.")
    tokenizer = RunFile("tokenizer.json", "tokenizer options, ``max_len``, truncation.")
    vocab = RunFile("vocab.json", "the vocabulary.")
    knowledge_summary = RunFile("knowledge.json", "the knowledge source's summary.")
    coverage = RunFile("coverage.json", "linker coverage of the training split.")
    links = RunFile("token_links.json", "word → entities it was linked to in training.")
    linker = RunFile("linker.json", "the entity linker.")
    channel = RunFile("channel.json", "the knowledge channel's concepts, hierarchy and class alignment.")
    metrics = RunFile("metrics.json", "aggregated test metrics.")
    confusion = RunFile("confusion.png", "the confusion matrix pooled over seeds.")

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def evaluation(self, name: str) -> Path:
        """``evaluation-NAME.json``: ``kgft evaluate`` metrics on dataset ``name``."""
        return self.path / f"evaluation-{name}.json"

    def evaluation_plot(self, name: str) -> Path:
        """``evaluation-NAME.png``: its confusion matrix."""
        return self.path / f"evaluation-{name}.png"

    def seed(self, seed: int) -> SeedDir:
        """The ``seed-N/`` directory of ``seed``."""
        return SeedDir(self.path / f"{SEED_PREFIX}{seed}")

    # ------------------------------------------------------------------ checks
    def holds_run(self) -> bool:
        """Whether a run was started here (a ``config.json`` or a seed directory)."""
        return self.config.exists() or any(self.path.glob(f"{SEED_PREFIX}*"))

    def is_finished(self) -> bool:
        """Whether the run finished (it has ``metrics.json``)."""
        return self.metrics.is_file()

    def is_training_run(self) -> bool:
        """Whether ``config.json`` is a readable kgft training config (``kind`` and ``train``)."""
        if not self.config.is_file():
            return False
        try:
            data = json.loads(self.config.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return False
        return isinstance(data, dict) and "kind" in data and "train" in data

    def missing_inputs(self) -> list[str]:
        """Names of the files every trained run has (config, vocabulary, tokenizer) that are missing."""
        return [p.name for p in (self.config, self.vocab, self.tokenizer) if not p.is_file()]

    def runs_below(self) -> list[Path]:
        """Training run directories at or below this one (sorted)."""
        return sorted(p.parent for p in self.path.rglob(self.config.name) if RunDir(p.parent).is_training_run())

    def read_config(self) -> dict:
        """``config.json`` of a training run.

        Raises:
            ModelError: not a (finished) kgft training run.
        """
        if not self.config.is_file():
            raise ModelError(f"{self.path} is not a kgft training run (no config.json)",
                             hint="create one with: kgft train ... --out RUN_DIR")
        config = json.loads(self.config.read_text(encoding="utf-8"))
        if "train" not in config or "labels" not in config:
            raise ModelError(f"{self.config} is not a kgft training config "
                             "(from another kgft version or command?)")
        return config
