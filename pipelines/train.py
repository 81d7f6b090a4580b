"""The ``train`` workflow: data + knowledge in, a trained run directory out.

:func:`train` is a thin orchestrator of named steps::

    prepare_run_dir → load_data → load_knowledge → prepare_text → build_vocabulary
      → train_seed (per seed) → TrainResult.save

The run directory holds the resolved settings (kgft version, device, wall
time), the tokenizer and vocabulary, for knowledge runs the knowledge inputs
(linker, token links, coverage, channel spec), one ``seed-N/`` directory per
seed (checkpoints, metrics, history, test predictions for paired comparisons,
PNG curves and confusion matrix) and the aggregated metrics; its layout is
:class:`pipelines.run_dir.RunDir`.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ConfigError
from pipelines.run_dir import RunDir, write_json
from pipelines.train_config import TrainConfig
from pipelines.version import kgft_version

logger = logging.getLogger(__name__)


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
        run = RunDir(run_dir)
        write_json(run.config, self.config)
        write_json(run.metrics, self.metrics)
        plot_confusion(self.metrics["confusion_matrix"], self.metrics["labels"], run.confusion,
                       title=f"{self.config['kind']}: test (all seeds)")
        self.run_dir = run_dir
        return run_dir


# ------------------------------------------------------------------ steps
def prepare_run_dir(out: Path, config: TrainConfig, resume: bool) -> TrainConfig:
    """Refuse to overwrite a run; on ``resume`` the saved configuration wins (device excepted).

    Raises:
        ConfigError: ``out`` holds a run and ``resume`` is off.
    """
    run = RunDir(out)
    saved = run.config
    if not resume:
        if run.holds_run():
            raise ConfigError(f"{out} already holds a training run",
                              hint="pass --resume to continue it, or choose a new --out directory")
        return config
    if not saved.is_file():
        logger.info("nothing to resume in %s: starting a fresh run", out)
        return config
    data = json.loads(saved.read_text(encoding="utf-8"))["train"]
    return TrainConfig.from_dict({**data, "device": config.device}, str(saved))


def load_data(config: TrainConfig):
    """The dataset (:func:`model.text.load_dataset`) with the config's options, plus its
    ``extra_train`` rows (:func:`model.text.extra.add_extra_train`)."""
    from model.text import load_dataset
    from model.text.extra import add_extra_train

    data = config.data
    dataset = load_dataset(data.dataset, seed=config.seed, **data.loader_options())
    return add_extra_train(dataset, data.extra_train, data.text_column, data.label_column)


def load_knowledge(config: TrainConfig, out: Path, is_main: bool):
    """The :class:`pipelines.knowledge.KnowledgeSource`, or ``None`` for a no-knowledge run."""
    if not config.uses_knowledge:
        return None
    from pipelines.knowledge import resolve_knowledge

    return resolve_knowledge(config.knowledge.source, out, config.kge_config(), write=is_main)


@dataclass
class PreparedText:
    """Token lists of every split plus what linking found.

    Args:
        encoder: The :class:`model.knowledge.encoder.TextEncoder`.
        tokens (dict): Split → token lists.
        links: Token links found in training text (knowledge runs).
        coverage: Linker coverage of the training split (knowledge runs).
        linked (dict): Split → :class:`~model.knowledge.entity_tokens.LinkedText` per text
            (knowledge runs; the channel's input).
        channel: The run's :class:`~pipelines.knowledge_channel.ChannelSpec`, or ``None``.
        channel_docs (dict): Channel inputs per split, by seed (shuffled control) or ``None``.
    """

    encoder: object
    tokens: dict
    links: object = None
    coverage: object = None
    linked: dict | None = None
    channel: object = None
    channel_docs: dict = field(default_factory=dict)


def build_linker(knowledge, dataset, config: TrainConfig):
    """The entity linker of a knowledge run: the graph's labels and annotated links, minus
    annotated unlinks and generic entities.

    An entity linked in more than ``linking.max_entity_share`` of the training
    texts is dropped (it says nothing about a text in particular).
    """
    from collections import Counter

    from kg.linking import EntityLinker
    from model.text import Tokenizer

    linker = EntityLinker.from_labels(knowledge.label_pairs, fold_plurals=config.linking.fold_plurals)
    if knowledge.unlinks:
        linker = linker.unlinked(knowledge.unlinks)
    share = config.linking.max_entity_share
    if share >= 1 or not dataset.train:
        return linker
    tokenizer = Tokenizer(lowercase=config.data.lowercase)
    df: Counter = Counter()
    for ex in dataset.train:
        df.update({e for m in linker.link_tokens(tokenizer.tokenize(ex.text, keep_case=True)) for e in m.entities})
    generic = sorted(e for e, n in df.items() if n > share * len(dataset.train))
    logger.info("linking: %d generic entities dropped (linked in > %.0f%% of training texts)",
                len(generic), 100 * share)
    return linker.without(generic)


def prepare_text(config: TrainConfig, dataset, knowledge) -> PreparedText:
    """Tokenize every split; with knowledge, link entities, insert entity tokens, set up the channel."""
    from model.knowledge import TokenLinks
    from model.knowledge.encoder import Coverage, TextEncoder
    from model.text import Tokenizer

    linker = None
    if knowledge is not None:
        linker = build_linker(knowledge, dataset, config)
    negation = config.linking.negation_scope() if linker is not None else None
    data = config.data
    encoder = TextEncoder(Tokenizer(lowercase=data.lowercase), data.max_len, linker,
                          config.knowledge.max_entities_per_mention, truncate=data.truncate, negation=negation)
    links = TokenLinks() if linker else None
    coverage = Coverage() if linker else None
    linked = {"train": encoder.analyse_many((ex.text for ex in dataset.train), links, coverage)}
    for split in ("valid", "test"):
        linked[split] = encoder.analyse_many(ex.text for ex in dataset.split(split))
    tokens = {split: [t.tokens for t in texts] for split, texts in linked.items()}
    spec = None
    if config.uses_channel:
        from pipelines.knowledge_channel import build_channel_spec

        spec = build_channel_spec(knowledge, dataset.labels, config.data.dataset, config.channel,
                                  shuffled=config.kind == "shuffled")
    return PreparedText(encoder, tokens, links, coverage, linked if linker else None, spec)


def build_vocabulary(config: TrainConfig, prepared: PreparedText, out: Path, resume: bool):
    """Build the vocabulary from training tokens; on resume it must equal the saved one.

    Raises:
        ModelError: the saved vocabulary differs (the data or settings changed).
    """
    from core.errors import ModelError
    from model.text import Vocab

    vocab = Vocab.build(prepared.tokens["train"], min_freq=config.data.min_freq, max_size=config.data.max_vocab)
    saved = RunDir(out).vocab
    if resume and saved.is_file() and Vocab.load(saved) != vocab:
        raise ModelError(f"cannot resume {out}: the vocabulary built now differs from the saved one",
                         hint="the dataset or tokenizer settings changed; train into a new --out directory")
    return vocab


def with_channel(data: dict, prepared: PreparedText, channel, seed: int) -> dict:
    """The encoded splits with one seed's knowledge-channel inputs attached.

    The inputs depend on the seed only in the shuffled control (its permutation); otherwise
    the first seed's are reused.
    """
    from model.train import EncodedSplit

    key = seed if prepared.channel.shuffled else None
    if key not in prepared.channel_docs:
        encoder = channel.encoder
        prepared.channel_docs[key] = {
            split: [encoder.encode(t.position_entities, t.mention_entities, t.mention_negated)
                    for t in prepared.linked[split]] for split in data}
    docs = prepared.channel_docs[key]
    return {split: EncodedSplit(part.ids, part.labels, docs[split], channel.encoder.slots)
            for split, part in data.items()}


def train_seed(config: TrainConfig, seed: int, data: dict, labels: list[str], vocab, knowledge, prepared,
               out: Path, device, ctx, resume: bool, on_epoch_end=None) -> SeedResult:
    """Build the model for ``seed``, fit it (or resume), test the best epoch, save ``seed-N/``."""
    import torch

    from pipelines.model_factory import build_model
    from model.train import Trainer, classification_metrics, vocab_hash
    from pipelines.plots import plot_confusion, plot_curves

    import numpy as np

    from model.train import predict_proba

    seed_dir = RunDir(out).seed(seed)
    done = seed_dir.metrics
    if resume and done.is_file():
        saved = json.loads(done.read_text(encoding="utf-8"))
        logger.info("seed %d already finished", seed)
        return SeedResult(seed, saved["fit"], saved["test"], saved.get("seconds", 0.0))
    start = time.perf_counter()
    torch.manual_seed(seed)
    channel = None
    if prepared.channel is not None:
        channel = prepared.channel.for_seed(seed, labels, knowledge.run.matrix, config.channel.init)
        data = with_channel(data, prepared, channel, seed)
    model = build_model(config, seed, vocab, labels, data["train"], knowledge, prepared.links, channel).to(device)
    settings = config.optim.settings(seed, config.channel.lr_scale)
    fingerprints = {"vocab_hash": vocab_hash(vocab.itos), "model_config": model.classifier.config.to_dict(),
                    "knowledge": model.fingerprint()}
    trainer = Trainer(model, data["train"], data["valid"], labels, settings, seed_dir.path, device, fingerprints, ctx,
                      on_epoch_end=on_epoch_end)
    fit = trainer.fit(resume=resume)
    probabilities = predict_proba(model.classifier, data["test"], device, settings.eval_batch_size)
    test = classification_metrics(data["test"].labels, probabilities.argmax(-1).tolist(), labels)
    result = SeedResult(seed, fit.to_dict(), test, time.perf_counter() - start)
    if ctx.is_main:
        np.save(seed_dir.probabilities, probabilities.numpy())
        np.save(seed_dir.labels, np.asarray(data["test"].labels, dtype=np.int64))
        write_json(seed_dir.history, fit.history)
        plot_curves(fit.history, seed_dir.curves, title=f"{config.kind}, seed {seed}")
        plot_confusion(test["confusion_matrix"], labels, seed_dir.confusion, title=f"test, seed {seed}")
        write_json(done, {"seed": seed, "fit": result.fit, "test": test, "seconds": result.seconds})
    return result


def aggregate(seeds: list[SeedResult], labels: list[str]) -> dict:
    """Top-level metrics: means (and std) over seeds; per-class and confusion pooled over seeds."""
    import numpy as np

    from model.train.metrics import metrics_from_confusion, summarize_seeds

    pooled = np.sum([np.asarray(s.test["confusion_matrix"]) for s in seeds], axis=0)
    per_class = metrics_from_confusion(pooled, labels)["per_class"]
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
                      "channel": prepared.channel.summary() if prepared.channel else None,
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


def finished_or_trained(config: TrainConfig, out: Path | str) -> tuple[dict, dict]:
    """The metrics and saved configuration of the run in ``out``: read back when it is finished,
    else trained (resuming from its checkpoint when it has one)."""
    run = RunDir(Path(out))
    if run.is_finished():
        logger.info("%s: finished already", out)
        return (json.loads(run.metrics.read_text(encoding="utf-8")),
                json.loads(run.config.read_text(encoding="utf-8")))
    result = train(config, out, resume=True)
    return result.metrics, result.config
