"""The ``train`` workflow: data + knowledge in, a trained run directory out.

:func:`train` is a thin orchestrator of named steps::

    prepare_run_dir → load_data → load_knowledge → prepare_text → build_vocabulary
      → train_seed (per seed) → TrainResult.save

The run directory holds ``config.json`` (resolved settings, kgft version,
device, wall time), ``tokenizer.json``, ``vocab.json``, for knowledge runs
``knowledge.json``, ``coverage.json``, ``token_links.json`` and
``linker.json``, one ``seed-N/`` directory per seed (``checkpoint.pt``
every epoch, ``best.pt``, ``metrics.json``, ``history.json``, PNG curves and
confusion matrix) and the aggregated ``metrics.json``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import ConfigError
from kg.fsutil import write_json_atomic
from pipelines.train_config import TrainConfig

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"


def write_json(path: Path, obj) -> Path:
    """Write ``obj`` as indented JSON atomically (see :func:`kg.fsutil.write_json_atomic`).

    Args:
        path (Path): Target file (parents are created).
        obj: JSON-serializable value; other objects are written with ``str``.

    Returns:
        Path: The file written.
    """
    return write_json_atomic(path, obj, indent=2, default=str)


def kgft_version() -> str:
    """The installed kgft version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kgft")
    except PackageNotFoundError:
        return "0.1.0+src"


@dataclass
class SeedResult:
    """One seed's training and test result.

    Args:
        seed (int): The seed.
        fit (dict): :class:`model.train.FitResult` as a dict (history, best epoch...).
        test (dict): Test metrics.
        seconds (float): Wall time of this seed.
    """

    seed: int
    fit: dict
    test: dict
    seconds: float = 0.0


@dataclass
class TrainResult:
    """A finished training run.

    Args:
        config (dict): Resolved configuration plus run facts.
        metrics (dict): Aggregated test metrics (``accuracy``, ``macro_f1``, ...).
        seeds (list[SeedResult]): Per-seed results.
        coverage (dict, optional): Linker coverage on the training split.
        run_dir (Path, optional): Where it was saved.
    """

    config: dict
    metrics: dict
    seeds: list[SeedResult] = field(default_factory=list)
    coverage: dict | None = None
    run_dir: Path | None = None

    def save(self, run_dir: Path | str) -> Path:
        """Write ``config.json``, ``metrics.json`` and the pooled confusion-matrix PNG."""
        from pipelines.plots import plot_confusion

        run_dir = Path(run_dir)
        write_json(run_dir / CONFIG_FILE, self.config)
        write_json(run_dir / METRICS_FILE, self.metrics)
        plot_confusion(self.metrics["confusion_matrix"], self.metrics["labels"], run_dir / "confusion.png",
                       title=f"{self.config['kind']}: test (all seeds)")
        self.run_dir = run_dir
        return run_dir


# ------------------------------------------------------------------ steps
def prepare_run_dir(out: Path, config: TrainConfig, resume: bool) -> TrainConfig:
    """Refuse to overwrite a run; on ``resume`` the saved configuration wins (device excepted).

    Raises:
        ConfigError: ``out`` holds a run and ``resume`` is off.
    """
    saved = out / CONFIG_FILE
    if not resume:
        if saved.exists() or any(out.glob("seed-*")):
            raise ConfigError(f"{out} already holds a training run",
                              hint="pass --resume to continue it, or choose a new --out directory")
        return config
    if not saved.is_file():
        logger.info("nothing to resume in %s: starting a fresh run", out)
        return config
    data = json.loads(saved.read_text(encoding="utf-8"))["train"]
    return TrainConfig.from_dict({**data, "device": config.device}, str(saved))


def load_data(config: TrainConfig):
    """The dataset (:func:`model.text.load_dataset`) with the config's options."""
    from model.text import load_dataset

    return load_dataset(
        config.dataset, valid_fraction=config.valid_fraction, seed=config.seed,
        train_fraction=config.train_fraction, max_train=config.max_train, max_valid=config.max_valid,
        max_test=config.max_test, text_column=config.text_column, label_column=config.label_column,
    )


def load_knowledge(config: TrainConfig, out: Path, is_main: bool):
    """The :class:`pipelines.knowledge.KnowledgeSource`, or ``None`` for a no-knowledge run."""
    if not config.uses_knowledge:
        return None
    from pipelines.knowledge import resolve_knowledge

    return resolve_knowledge(config.knowledge, out, embed_options(config), write=is_main)


def embed_options(config: TrainConfig) -> dict:
    """:func:`pipelines.embed.embed` options for embedding a store (one validation, at the end)."""
    return {"model": config.embed_model, "dim": config.embed_dim, "epochs": config.embed_epochs,
            "batch_size": config.embed_batch_size, "num_negatives": config.embed_negatives,
            "negatives": config.embed_sampling,
            "eval_every": config.embed_epochs, "device": config.device, "seed": config.seed,
            "threads": config.threads}


@dataclass
class PreparedText:
    """Token lists of every split plus what linking found."""

    encoder: object
    tokens: dict
    links: object = None
    coverage: object = None


def prepare_text(config: TrainConfig, dataset, knowledge) -> PreparedText:
    """Tokenize every split; with knowledge, link entities and insert entity tokens."""
    from model.knowledge import TokenLinks
    from model.knowledge.encoder import Coverage, TextEncoder
    from model.text import Tokenizer

    linker = None
    if knowledge is not None:
        from kg.linking import EntityLinker

        linker = EntityLinker.from_labels(knowledge.label_pairs)
    encoder = TextEncoder(Tokenizer(lowercase=config.lowercase), config.max_len, linker,
                          config.max_entities_per_mention, truncate=config.truncate)
    links = TokenLinks() if linker else None
    coverage = Coverage() if linker else None
    tokens = {"train": encoder.process_many((ex.text for ex in dataset.train), links, coverage)}
    for split in ("valid", "test"):
        tokens[split] = encoder.process_many(ex.text for ex in dataset.split(split))
    return PreparedText(encoder, tokens, links, coverage)


def build_vocabulary(config: TrainConfig, prepared: PreparedText, out: Path, resume: bool):
    """Build the vocabulary from training tokens; on resume it must equal the saved one.

    Raises:
        ModelError: the saved vocabulary differs (the data or settings changed).
    """
    from kg.errors import ModelError
    from model.text import Vocab

    vocab = Vocab.build(prepared.tokens["train"], min_freq=config.min_freq, max_size=config.max_vocab)
    saved = out / "vocab.json"
    if resume and saved.is_file() and Vocab.load(saved) != vocab:
        raise ModelError(f"cannot resume {out}: the vocabulary built now differs from the saved one",
                         hint="the dataset or tokenizer settings changed; train into a new --out directory")
    return vocab


def train_seed(config: TrainConfig, seed: int, data: dict, labels: list[str], vocab, knowledge, prepared,
               out: Path, device, ctx, resume: bool, on_epoch_end=None) -> SeedResult:
    """Build the model for ``seed``, fit it (or resume), test the best epoch, save ``seed-N/``."""
    import torch

    from pipelines.model_factory import build_model
    from model.train import Trainer, TrainSettings, vocab_hash
    from pipelines.plots import plot_confusion, plot_curves

    seed_dir = out / f"seed-{seed}"
    done = seed_dir / METRICS_FILE
    if resume and done.is_file():
        saved = json.loads(done.read_text(encoding="utf-8"))
        logger.info("seed %d already finished", seed)
        return SeedResult(seed, saved["fit"], saved["test"], saved.get("seconds", 0.0))
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = build_model(config, seed, vocab, labels, knowledge, prepared.links).to(device)
    settings = TrainSettings(epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
                             weight_decay=config.weight_decay, clip=config.clip, patience=config.patience,
                             monitor=config.monitor, seed=seed, class_weight=config.class_weight)
    fingerprints = {"vocab_hash": vocab_hash(vocab.itos), "model_config": model.classifier.config.to_dict(),
                    "knowledge": model.fingerprint()}
    trainer = Trainer(model, data["train"], data["valid"], labels, settings, seed_dir, device, fingerprints, ctx,
                      on_epoch_end=on_epoch_end)
    fit = trainer.fit(resume=resume)
    test = trainer.evaluate(data["test"])
    result = SeedResult(seed, fit.to_dict(), test, time.perf_counter() - start)
    if ctx.is_main:
        write_json(seed_dir / "history.json", fit.history)
        plot_curves(fit.history, seed_dir / "curves.png", title=f"{config.kind}, seed {seed}")
        plot_confusion(test["confusion_matrix"], labels, seed_dir / "confusion.png", title=f"test, seed {seed}")
        write_json(done, {"seed": seed, "fit": result.fit, "test": test, "seconds": result.seconds})
    return result


def aggregate(seeds: list[SeedResult], labels: list[str]) -> dict:
    """Top-level metrics: means (and std) over seeds; per-class and confusion pooled over seeds."""
    import numpy as np

    from model.train.metrics import summarize_seeds

    pooled = np.sum([np.asarray(s.test["confusion_matrix"]) for s in seeds], axis=0)
    per_class = {}
    for i, name in enumerate(labels):
        tp, pred, true = pooled[i, i], pooled[:, i].sum(), pooled[i, :].sum()
        p = tp / pred if pred else 0.0
        r = tp / true if true else 0.0
        per_class[name] = {"precision": float(p), "recall": float(r),
                           "f1": float(2 * p * r / (p + r)) if p + r else 0.0, "support": int(true)}
    summary = summarize_seeds([s.test for s in seeds])
    return {
        "split": "test",
        "accuracy": summary["accuracy"]["mean"],
        "macro_f1": summary["macro_f1"]["mean"],
        "accuracy_std": summary["accuracy"]["std"],
        "macro_f1_std": summary["macro_f1"]["std"],
        "seeds": len(seeds),
        "labels": labels,
        "per_class": per_class,
        "confusion_matrix": pooled.tolist(),
        "per_seed": [{"seed": s.seed, "accuracy": s.test["accuracy"], "macro_f1": s.test["macro_f1"],
                      "best_epoch": s.fit["best_epoch"], "epochs_run": s.fit["epochs_run"]} for s in seeds],
    }


# ------------------------------------------------------------------ workflow
def train(config: TrainConfig, out: Path | str, resume: bool = False, on_epoch_end=None) -> TrainResult:
    """Run the whole training workflow into ``out``.

    Args:
        config (TrainConfig): Settings (see :class:`pipelines.train_config.TrainConfig`).
        out (Path or str): Run directory.
        resume (bool): Continue an interrupted run in ``out``. (default: ``False``)
        on_epoch_end (callable, optional): ``(epoch, record)`` hook (tests, progress). (default: ``None``)

    Returns:
        TrainResult: Saved into ``out``.

    Raises:
        ConfigError, DataError, ModelError: bad settings, data, knowledge or checkpoints.
    """
    import torch

    from model.train import configure_cpu, init_distributed, resolve_device, shutdown_distributed
    from pipelines import run_files

    configure_cpu()
    wall = time.perf_counter()
    out = Path(out)
    config = prepare_run_dir(out, config, resume)
    if config.threads:
        torch.set_num_threads(int(config.threads))
    device = resolve_device(config.device)
    ctx = init_distributed(device)
    try:
        dataset = load_data(config)
        knowledge = load_knowledge(config, out, True) if ctx.is_main else None
        ctx.barrier()  # rank 0 may have embedded a store: the others load its run afterwards
        if not ctx.is_main:
            knowledge = load_knowledge(config, out, False)
        prepared = prepare_text(config, dataset, knowledge)
        vocab = build_vocabulary(config, prepared, out, resume)
        run_config = {"train": config.to_dict(), "kind": config.kind, "kgft_version": kgft_version(),
                      "torch_version": torch.__version__, "device": str(device), "world_size": ctx.world_size,
                      "dataset": dataset.summary(), "knowledge": knowledge.summary() if knowledge else None,
                      "labels": dataset.labels, "vocab_size": len(vocab), "status": "running"}
        coverage = None
        if ctx.is_main:
            coverage = run_files.save_inputs(out, run_config, prepared, vocab, knowledge)
        data = run_files.encode_splits(prepared, vocab, dataset)
        seeds = [train_seed(config, config.seed + i, data, dataset.labels, vocab, knowledge, prepared, out,
                            device, ctx, resume, on_epoch_end) for i in range(config.seeds)]
        run_config.update(status="finished", wall_time_s=round(time.perf_counter() - wall, 2))
        result = TrainResult(run_config, aggregate(seeds, dataset.labels), seeds, coverage)
        if ctx.is_main:
            result.save(out)
        ctx.barrier()
        return result
    finally:
        shutdown_distributed()
