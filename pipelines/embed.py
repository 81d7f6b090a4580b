"""The ``embed`` workflow: a graph in, a run directory of entity embeddings out.

``embed(...)`` reads a graph (triples directory, store or ready
:class:`kg.graph.KnowledgeGraph`), trains a KGE model with early stopping on
validation MRR, evaluates the best model on the test split with the filtered
protocol and returns an :class:`~pipelines.embed_run.EmbedResult` that saves
itself as a run directory (:mod:`pipelines.embed_run` owns its layout).

Under ``torchrun --nproc_per_node N kgft embed ...`` (``distributed=True``) the
N processes train one model with ``DistributedDataParallel`` (gloo on CPU,
NCCL on CUDA; :mod:`model.train.distributed`), each on its own share of every
epoch's triples; only rank 0 validates, evaluates and writes the run.
NCCL does not all-reduce sparse gradients, so on CUDA the lazy sparse Adam
default falls back to dense Adam (an explicit ``sparse=True`` is refused).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

import numpy as np

from core.errors import ConfigError, DataError, ModelError
from pipelines.embed_run import RUN_FILES, EmbedResult, EmbeddingRun, load_embedding_run  # noqa: F401 - public API

logger = logging.getLogger(__name__)


def load_graph(source, inverse: bool = False, include_literals: bool = False, seed: int = 0):
    """A :class:`KnowledgeGraph` from a graph, a triples directory or a store."""
    from kg.graph import KnowledgeGraph, graph_from_store, load_triples_dir

    if isinstance(source, KnowledgeGraph):
        return source.with_inverse() if inverse else source
    if isinstance(source, (str, Path)):
        return load_triples_dir(source, add_inverse=inverse)
    if hasattr(source, "triples"):
        name = type(source).__name__
        return graph_from_store(source, include_literals=include_literals, add_inverse=inverse, seed=seed,
                                source=f"store:{name}")
    raise DataError(f"cannot read a graph from {type(source).__name__}",
                    hint="pass a triples directory, a kgft store or a KnowledgeGraph")


def _prepare_out(out: Path, resume: bool, run_config: dict, fingerprint: str):
    """Check the run directory before anything is written; returns a checkpoint to resume or ``None``."""
    from model.kge import CHECKPOINT_NAME, check_resumable, load_checkpoint

    ckpt_path = out / CHECKPOINT_NAME
    existing = [name for name in (CHECKPOINT_NAME, *RUN_FILES) if (out / name).exists()]
    if not resume:
        if existing:
            raise ConfigError(f"{out} already holds an embedding run ({', '.join(existing)})",
                              hint="pass --resume to continue it, or choose a new --out directory")
        return None
    if not ckpt_path.is_file():
        if existing:
            raise ModelError(f"cannot resume {out}: it has {', '.join(existing)} but no {CHECKPOINT_NAME}")
        logger.info("no checkpoint in %s: starting a fresh run", out)
        return None
    checkpoint = load_checkpoint(ckpt_path)
    check_resumable(checkpoint, run_config, fingerprint, ckpt_path)
    return checkpoint


def embed(
    source,
    model: str | None = None,
    dim: int | None = None,
    epochs: int | None = None,
    out: Path | str | None = None,
    *,
    config=None,
    resume: bool = False,
    extra_config: dict | None = None,
    on_epoch_end: Callable[[int, dict], None] | None = None,
    distributed: bool = False,
    **options,
) -> EmbedResult:
    """Train entity embeddings on a graph and evaluate them (filtered protocol).

    Args:
        source: A triples directory (``train/valid/test.txt``), a :class:`kg.store_protocol.Store`
            or a :class:`kg.graph.KnowledgeGraph`.
        model (str, optional): ``transe``, ``distmult``, ``complex``, ``rotate`` or ``rgcn``.
        dim (int, optional): Embedding dimension.
        epochs (int, optional): Maximum epochs.
        out (Path or str, optional): Run directory; ``None`` keeps everything in memory. (default: ``None``)
        config (KgeConfig, optional): The whole configuration (e.g. from ``kgft embed --config``);
            then ``model``, ``dim``, ``epochs`` and ``options`` must not be given. (default: ``None``)
        resume (bool): Continue from ``out/checkpoint.pt``. (default: ``False``)
        extra_config (dict, optional): Recorded in ``config.json`` (e.g. ``store_dir``, so
            fine-tuning finds the store's labels). (default: ``None``)
        on_epoch_end (callable, optional): ``(epoch, record)`` called after each validation
            (every ``eval_every`` epochs) with that epoch's ``loss``, ``mrr`` and ``hits@10``
            (e.g. :func:`pipelines.tracking.epoch_logger`). (default: ``None``)
        distributed (bool): Join the ``torchrun`` process group (``WORLD_SIZE > 1``) and train
            with DDP; no effect without ``torchrun``. (default: ``False``)
        **options: Further :class:`model.kge.KgeConfig` fields (``num_negatives``,
            ``batch_size``, ``lr``, ``loss``, ``device``, ``threads``, ``eval_every``, ...); unset
            fields take the :class:`~model.kge.KgeConfig` defaults.

    Raises:
        ConfigError: Bad options, or ``out`` already holds a run and ``resume`` is off.
        ModelError: ``resume`` with another vocabulary or model.
        DataError: Empty graph or a graph without relations.
    """
    from model.train.distributed import DistContext, init_distributed, resolve_device, shutdown_distributed

    cfg = _config(config, {"model": model, "dim": dim, "epochs": epochs, **options})
    dev = resolve_device(cfg.device)
    ctx = init_distributed(dev) if distributed else DistContext()
    try:
        return _embed(source, cfg, dev, ctx, out, resume, extra_config, on_epoch_end)
    finally:
        if distributed:
            shutdown_distributed()


def _config(config, given: dict):
    """``config``, or a :class:`KgeConfig` of the ``given`` values that are not ``None``."""
    from model.kge import KgeConfig

    given = {key: value for key, value in given.items() if value is not None}
    if config is not None:
        if given:
            raise ConfigError(f"embed: pass either config or options ({', '.join(sorted(given))}), not both")
        return config
    try:
        return KgeConfig(**given)
    except TypeError as exc:
        raise ConfigError(f"embed: {exc}", hint="see model.kge.KgeConfig for the options") from exc


def _ddp_sparse(cfg, explicit: bool, ctx, dev):
    """``cfg`` usable under DDP: NCCL cannot all-reduce sparse gradients, so CUDA ranks train dense."""
    from dataclasses import replace

    if not (ctx.distributed and dev.type == "cuda" and cfg.sparse):
        return cfg
    if explicit:
        raise ConfigError("--sparse cannot be used under torchrun on CUDA: NCCL does not all-reduce sparse gradients",
                          hint="drop --sparse (dense Adam is used) or train on CPU (gloo)")
    logger.warning("torchrun on CUDA: NCCL does not all-reduce sparse gradients, training with dense Adam")
    return replace(cfg, sparse=False)


def _embed(source, cfg, dev, ctx, out, resume: bool, extra_config: dict | None,
           on_epoch_end: Callable[[int, dict], None] | None) -> EmbedResult:
    """:func:`embed` once the configuration, device and process group are settled."""
    import torch

    from model.kge import Trainer, build_model
    from model.train import configure_cpu

    configure_cpu()
    if cfg.threads:
        torch.set_num_threads(int(cfg.threads))
    graph = load_graph(source, inverse=cfg.inverse, include_literals=cfg.include_literals, seed=cfg.seed)
    cfg = _ddp_sparse(cfg.resolved(graph.num_entities), cfg.sparse is not None, ctx, dev)
    fingerprint = graph.fingerprint()
    run_config = {
        **cfg.to_dict(),
        "num_entities": graph.num_entities,
        "num_relations": graph.num_relations,
        "num_base_relations": graph.num_base_relations,
        "graph": graph.summary(),
        "fingerprint": fingerprint,
        "device": str(dev),
        "world_size": ctx.world_size,
        "entity_layout": "real|imag" if cfg.model in ("complex", "rotate") else "real",
        "relation_layout": {"complex": "real|imag", "rotate": "phase"}.get(cfg.model, "real"),
        "tie_policy": "realistic: 1 + #better + #tied/2",
        **(extra_config or {}),
    }
    out_dir = Path(out) if out is not None else None
    checkpoint = _prepare_out(out_dir, resume, run_config, fingerprint) if out_dir is not None else None
    if out_dir is not None and ctx.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)

    net = build_model(cfg, graph.num_entities, graph.num_relations, graph.edge_index(), graph.edge_type()).to(dev)
    trainer = Trainer(net, graph, cfg, dev, run_dir=out_dir,
                      extra_state={"config": run_config, "fingerprint": fingerprint}, ctx=ctx)
    if checkpoint is not None:
        trainer.restore({**checkpoint, **_to_device(checkpoint, dev)})
    if on_epoch_end is not None:
        _report_validations(trainer, on_epoch_end)
    train_result = trainer.fit()
    test = _test_metrics(trainer, len(graph.test)) if ctx.is_main else {
        "split": None, "note": f"rank {ctx.rank}: only rank 0 evaluates and writes the run"}
    net.eval()
    with torch.no_grad():
        net.begin_step()
        ent = net.entity_matrix().detach().cpu().numpy().astype(np.float32)
        rel = net.relation_matrix().detach().cpu().numpy().astype(np.float32)
    metrics = {
        **test,
        "valid": train_result.curve,
        "best_epoch": train_result.best_epoch,
        "best_valid_mrr": train_result.best_valid_mrr,
        "epochs_run": train_result.epochs_run,
        "stopped_early": train_result.stopped_early,
        "resumed_from": train_result.resumed_from,
        "train_seconds": round(train_result.train_seconds, 3),
        "triples_per_second": round(train_result.triples_per_second, 1),
    }
    if "mrr" in metrics:
        logger.info("test: mrr %.4f hits@10 %.4f (%d triples with an unseen entity counted as misses; "
                    "mrr %.4f without them)", metrics["mrr"], metrics["hits@10"], metrics["excluded_unseen"],
                    metrics["seen_only"]["mrr"])
    result = EmbedResult(run_config, metrics, graph.entities, graph.relations, ent, rel, graph.labels)
    if out_dir is not None and ctx.is_main:
        result.save(out_dir)
    ctx.barrier()
    return result


def _test_metrics(trainer, n_test: int) -> dict:
    """Filtered test metrics (``split: "test"``), or ``split: None`` and a ``note`` saying why there are none.

    A graph without test triples, or whose test triples all have an entity
    unseen in training, gets no ``mrr``/``hits@k``: zero ranks are no score.
    """
    if not n_test:
        return {"split": None, "note": "no test split: the graph has no test triples, so there are no test metrics"}
    test = trainer.test()
    if not test.metrics["count"]:
        return {"split": None, "excluded_unseen": test.excluded_unseen,
                "note": f"no test metrics: all {n_test} test triples have an entity unseen in training"}
    return {**test.to_dict(), "split": "test"}


def _report_validations(trainer, on_epoch_end: Callable[[int, dict], None]) -> None:
    """Make ``trainer`` call ``on_epoch_end(epoch, record)`` after each validation (its newest curve record)."""
    validate = trainer.validate

    def validate_and_report(epoch: int, loss: float) -> bool:
        stop = validate(epoch, loss)
        on_epoch_end(epoch, trainer.result.curve[-1])
        return stop

    trainer.validate = validate_and_report


def _to_device(checkpoint: dict, dev) -> dict:
    """Optimizer state tensors must live where the parameters are."""
    import torch

    def move(obj):
        if isinstance(obj, torch.Tensor):
            return obj.to(dev)
        if isinstance(obj, dict):
            return {k: move(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [move(v) for v in obj]
        return obj

    return {"model": move(checkpoint["model"]), "optimizer": move(checkpoint["optimizer"])}
