"""The run directory of ``kgft embed``: what it holds, writing it, reading it back.

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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import ModelError
from core.fsutil import write_json_atomic

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
