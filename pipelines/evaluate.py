"""The ``evaluate`` workflow: a trained run directory and a dataset in, metrics out.

``evaluate_run(RUN_DIR)`` reloads each seed's best model with the run's own
tokenizer, vocabulary and linker, scores the test split of the run's dataset
(or of another dataset with the same labels) and returns an
:class:`EvaluateResult` that saves ``evaluation-<dataset>.json`` and a
confusion-matrix PNG into the run directory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from core.errors import DataError

logger = logging.getLogger(__name__)


@dataclass
class EvaluateResult:
    """Metrics of a trained run on a dataset's test split.

    Args:
        run_dir (Path): The evaluated run.
        dataset (str): Dataset name or path.
        metrics (dict): ``accuracy``, ``macro_f1`` (means over seeds), their std,
            pooled per-class metrics and confusion matrix, per-seed results.
    """

    run_dir: Path
    dataset: str
    metrics: dict

    @property
    def slug(self) -> str:
        """File-name-safe dataset name."""
        return "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(self.dataset).name.split(".")[0])

    def save(self, run_dir: Path | str | None = None) -> Path:
        """Write ``evaluation-<dataset>.json`` and ``evaluation-<dataset>.png``; returns the JSON path."""
        from pipelines.plots import plot_confusion
        from pipelines.run_dir import RunDir, write_json

        run = RunDir(run_dir or self.run_dir)
        path = write_json(run.evaluation(self.slug), {"dataset": self.dataset, **self.metrics})
        plot_confusion(self.metrics["confusion_matrix"], self.metrics["labels"],
                       run.evaluation_plot(self.slug), title=f"test: {self.dataset}")
        return path


def evaluate_run(run_dir: Path | str, dataset: str | None = None, device: str = "cpu") -> EvaluateResult:
    """Evaluate every seed's best model on a test split.

    Args:
        run_dir (Path or str): A ``kgft train`` run directory.
        dataset (str, optional): Dataset name or path; default the run's own. (default: ``None``)
        device (str): ``cpu``, ``cuda`` or ``auto``. (default: ``"cpu"``)

    Raises:
        ModelError: not a finished run.
        DataError: the dataset's labels are not the run's labels.
    """
    from model.train import classification_metrics, predict, resolve_device
    from pipelines.run_dir import RunDir
    from pipelines.run_files import load_trained_run
    from pipelines.train import SeedResult, aggregate, load_data
    from pipelines.train_config import TrainConfig

    run_dir = Path(run_dir)
    layout = RunDir(run_dir)
    config = layout.read_config()
    # Only the test split is read: the extra training files need not exist any more.
    train_cfg = TrainConfig.from_dict(config["train"], str(layout.config)).replace(extra_train=())
    if dataset is not None:
        train_cfg = train_cfg.replace(dataset=str(dataset), max_test=None)
    data = load_data(train_cfg)
    labels = list(config["labels"])
    unknown = sorted(set(data.labels) - set(labels))
    if unknown:
        raise DataError(f"dataset {train_cfg.data.dataset} has labels the run never saw: {', '.join(unknown[:5])}",
                        hint=f"the run knows: {', '.join(labels[:10])}")
    remap = [labels.index(name) for name in data.labels]
    dev = resolve_device(device)
    seeds = []
    for i in range(int(train_cfg.seeds)):
        seed = int(train_cfg.seed) + i
        run = load_trained_run(run_dir, seed)
        split = run.encode_texts((ex.text for ex in data.test), [remap[ex.label] for ex in data.test])
        preds = predict(run.classifier.to(dev), split, dev)
        metrics = classification_metrics(split.labels, preds, labels)
        seeds.append(SeedResult(seed, {"best_epoch": None, "epochs_run": None}, metrics))
        logger.info("seed %d: accuracy %.4f macro-F1 %.4f", seed, metrics["accuracy"], metrics["macro_f1"])
    return EvaluateResult(run_dir, train_cfg.data.dataset, aggregate(seeds, labels))
