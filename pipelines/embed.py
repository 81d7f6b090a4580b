"""The ``embed`` workflow: a graph in, a run directory of entity embeddings out.

``embed(...)`` reads a graph (triples directory, store or ready
:class:`kg.graph.KnowledgeGraph`), trains a KGE model with early stopping on
validation MRR, evaluates the best model on the test split with the filtered
protocol and returns an :class:`EmbedResult` that saves itself as a run
directory:

=========================  ===================================================
``entity_embeddings.npy``  ``float32 [num_entities, D]``; row ``i`` is entity id
                           ``i``. ComplEx/RotatE rows are ``real | imag``
                           concatenated (``D = 2 * dim``; ``config.json`` says
                           ``"entity_layout": "real|imag"``).
``relation_embeddings.npy`` relation vectors (RotatE: phases).
``entities.tsv``           ``id<TAB>name<TAB>label`` with a header line (tabs and
``relations.tsv``          newlines in names are backslash-escaped).
``config.json``            hyper-parameters, graph summary, vocabulary fingerprint.
``checkpoint.pt``          last training checkpoint (``--resume``).
``metrics.json``           filtered test ``mrr``, ``hits@1/3/10``, ``mean_rank``,
                           ``head``/``tail`` sub-dicts, ``valid`` curve, speed
                           (no test split: ``"split": null`` and a ``note``
                           instead of test metrics).
=========================  ===================================================

:func:`load_embedding_run` reads such a directory back (used by fine-tuning).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from kg.errors import ConfigError, DataError, ModelError
from kg.fsutil import write_json_atomic

logger = logging.getLogger(__name__)

RUN_FILES = ("entity_embeddings.npy", "relation_embeddings.npy", "entities.tsv", "relations.tsv",
             "config.json", "metrics.json")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _unescape(text: str) -> str:
    out, i = [], 0
    table = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in table:
            out.append(table[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _write_vocab(path: Path, names: list[str], labels: dict[str, str]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("id\tname\tlabel\n")
        for i, name in enumerate(names):
            handle.write(f"{i}\t{_escape(name)}\t{_escape(labels.get(name, ''))}\n")


def _read_vocab(path: Path) -> tuple[list[str], dict[str, str]]:
    names, labels = [], {}
    with path.open(encoding="utf-8") as handle:
        header = handle.readline()
        if not header.startswith("id\tname"):
            raise ModelError(f"{path}: expected a header 'id<TAB>name<TAB>label'")
        for lineno, line in enumerate(handle, 2):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2 or parts[0] != str(len(names)):
                raise ModelError(f"{path}:{lineno}: expected id {len(names)} then a name")
            name = _unescape(parts[1])
            names.append(name)
            if len(parts) > 2 and parts[2]:
                labels[name] = _unescape(parts[2])
    return names, labels


@dataclass
class EmbedResult:
    """A finished embedding run.

    Args:
        config (dict): Run configuration (hyper-parameters, graph, fingerprint).
        metrics (dict): Filtered test metrics, ``head``/``tail``, ``valid`` curve, speed.
        entities (list[str]): Entity names; row ``i`` of the matrix is entity ``i``.
        relations (list[str]): Relation names.
        entity_embeddings (np.ndarray): ``float32`` entity matrix.
        relation_embeddings (np.ndarray): ``float32`` relation matrix.
        labels (dict[str, str]): Entity labels, when known.
        run_dir (Path, optional): Where it was saved.
    """

    config: dict
    metrics: dict
    entities: list[str]
    relations: list[str]
    entity_embeddings: np.ndarray
    relation_embeddings: np.ndarray
    labels: dict = field(default_factory=dict)
    run_dir: Path | None = None

    def save(self, run_dir: Path | str) -> Path:
        """Write embeddings, vocabularies, ``config.json`` and ``metrics.json`` into ``run_dir``."""
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        np.save(run_dir / "entity_embeddings.npy", self.entity_embeddings.astype(np.float32))
        np.save(run_dir / "relation_embeddings.npy", self.relation_embeddings.astype(np.float32))
        _write_vocab(run_dir / "entities.tsv", self.entities, self.labels)
        _write_vocab(run_dir / "relations.tsv", self.relations, {})
        write_json_atomic(run_dir / "config.json", self.config)
        write_json_atomic(run_dir / "metrics.json", self.metrics)
        self.run_dir = run_dir
        return run_dir


@dataclass
class EmbeddingRun:
    """Entity embeddings loaded from a run directory.

    Args:
        entities (list[str]): Entity names (IRIs); row ``i`` of ``matrix`` is ``entities[i]``.
        matrix (np.ndarray): ``float32 [num_entities, D]`` entity vectors.
        relations (list[str]): Relation names.
        relation_matrix (np.ndarray): Relation vectors.
        labels (dict[str, str]): Entity name -> label, when known.
        config (dict): The run's ``config.json``.
        metrics (dict): The run's ``metrics.json`` (empty if missing).
    """

    entities: list[str]
    matrix: np.ndarray
    relations: list[str]
    relation_matrix: np.ndarray
    labels: dict
    config: dict
    metrics: dict

    def __post_init__(self) -> None:
        self.index = {name: i for i, name in enumerate(self.entities)}

    @property
    def dim(self) -> int:
        """Vector size (``2 * dim`` for complex models)."""
        return int(self.matrix.shape[1])

    def vector(self, name: str) -> np.ndarray | None:
        """The vector of entity ``name`` or ``None`` if it is not in the vocabulary."""
        i = self.index.get(name)
        return None if i is None else self.matrix[i]


def load_embedding_run(run_dir: Path | str) -> EmbeddingRun:
    """Load a run directory written by :func:`embed` / :meth:`EmbedResult.save`.

    Args:
        run_dir (Path or str): The run directory.

    Raises:
        ModelError: Files are missing or inconsistent (rows vs vocabulary).
    """
    run_dir = Path(run_dir)
    for name in ("entity_embeddings.npy", "entities.tsv", "config.json"):
        if not (run_dir / name).is_file():
            raise ModelError(f"{run_dir} is not an embedding run: {name} is missing",
                             hint="create one with: kgft embed ... --out RUN_DIR")
    entities, labels = _read_vocab(run_dir / "entities.tsv")
    matrix = np.load(run_dir / "entity_embeddings.npy", allow_pickle=False)
    if matrix.ndim != 2 or matrix.shape[0] != len(entities):
        raise ModelError(f"{run_dir}: entity_embeddings.npy has shape {matrix.shape} "
                         f"but entities.tsv lists {len(entities)} entities")
    relations, _ = _read_vocab(run_dir / "relations.tsv") if (run_dir / "relations.tsv").is_file() else ([], {})
    rel_path = run_dir / "relation_embeddings.npy"
    rel_matrix = np.load(rel_path, allow_pickle=False) if rel_path.is_file() else np.zeros((0, 0), np.float32)
    config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    metrics_path = run_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else {}
    return EmbeddingRun(entities, matrix.astype(np.float32, copy=False), relations, rel_matrix, labels, config, metrics)


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
    model: str = "transe",
    dim: int = 100,
    epochs: int = 100,
    out: Path | str | None = None,
    *,
    device: str = "auto",
    resume: bool = False,
    threads: int | None = None,
    extra_config: dict | None = None,
    on_epoch_end: Callable[[int, dict], None] | None = None,
    **options,
) -> EmbedResult:
    """Train entity embeddings on a graph and evaluate them (filtered protocol).

    Args:
        source: A triples directory (``train/valid/test.txt``), a :class:`kg.store_protocol.Store`
            or a :class:`kg.graph.KnowledgeGraph`.
        model (str): ``transe``, ``distmult``, ``complex``, ``rotate`` or ``rgcn``. (default: ``"transe"``)
        dim (int): Embedding dimension. (default: ``100``)
        epochs (int): Maximum epochs. (default: ``100``)
        out (Path or str, optional): Run directory; ``None`` keeps everything in memory. (default: ``None``)
        device (str): ``auto``, ``cpu`` or ``cuda``. (default: ``"auto"``)
        resume (bool): Continue from ``out/checkpoint.pt``. (default: ``False``)
        threads (int, optional): ``torch.set_num_threads`` for CPU runs. (default: ``None``)
        extra_config (dict, optional): Recorded in ``config.json`` (e.g. ``store_dir``, so
            fine-tuning finds the store's labels). (default: ``None``)
        on_epoch_end (callable, optional): ``(epoch, record)`` called after each validation
            (every ``eval_every`` epochs) with that epoch's ``loss``, ``mrr`` and ``hits@10``
            (e.g. :func:`pipelines.tracking.epoch_logger`). (default: ``None``)
        **options: Further :class:`model.kge.TrainConfig` fields (``num_negatives``,
            ``batch_size``, ``lr``, ``loss``, ``regularizer``, ``eval_every``, ...).

    Raises:
        ConfigError: Bad options, or ``out`` already holds a run and ``resume`` is off.
        ModelError: ``resume`` with another vocabulary or model.
        DataError: Empty graph or a graph without relations.
    """
    import torch

    from model.kge import TrainConfig, Trainer, build_model
    from model.train.distributed import resolve_device

    torch.set_flush_denormal(True)
    if threads:
        torch.set_num_threads(int(threads))
    cfg = TrainConfig(model=model, dim=dim, epochs=epochs, **options)
    dev = resolve_device(device)
    graph = load_graph(source, inverse=cfg.inverse, include_literals=cfg.include_literals, seed=cfg.seed)
    cfg = cfg.resolved(graph.num_entities)
    fingerprint = graph.fingerprint()
    run_config = {
        **cfg.to_dict(),
        "num_entities": graph.num_entities,
        "num_relations": graph.num_relations,
        "num_base_relations": graph.num_base_relations,
        "graph": graph.summary(),
        "fingerprint": fingerprint,
        "device": str(dev),
        "entity_layout": "real|imag" if cfg.model in ("complex", "rotate") else "real",
        "relation_layout": {"complex": "real|imag", "rotate": "phase"}.get(cfg.model, "real"),
        "tie_policy": "realistic: 1 + #better + #tied/2",
        **(extra_config or {}),
    }
    out_dir = Path(out) if out is not None else None
    checkpoint = _prepare_out(out_dir, resume, run_config, fingerprint) if out_dir is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)

    net = build_model(cfg, graph.num_entities, graph.num_relations, graph.edge_index(), graph.edge_type()).to(dev)
    trainer = Trainer(net, graph, cfg, dev, run_dir=out_dir,
                      extra_state={"config": run_config, "fingerprint": fingerprint})
    if checkpoint is not None:
        trainer.restore({**checkpoint, **_to_device(checkpoint, dev)})
    if on_epoch_end is not None:
        _report_validations(trainer, on_epoch_end)
    train_result = trainer.fit()
    test = _test_metrics(trainer, len(graph.test))
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
    if out_dir is not None:
        result.save(out_dir)
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
