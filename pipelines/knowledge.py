"""Resolve ``kgft train --knowledge STORE_OR_RUN`` into vectors, labels and edges.

``--knowledge`` accepts either

* an **embedding run** (a directory written by ``kgft embed``, holding
  ``entity_embeddings.npy`` and ``entities.tsv``): its vectors are used as they
  are. Labels and synonyms for the linker, and the graph's edges (for the
  neighbour term and ``--joint``), come from the store the run was trained on
  when its ``config.json`` names one (``store_dir``); otherwise from the run's
  own ``entities.tsv`` labels and, for ``--triples`` runs, the triples
  directory it names (``graph.source = "triples:DIR"``);
* an **embedded store** directory (from ``kgft ontology import``): kgft first
  embeds it with a short default KGE run (the ``[embed]`` part of the training
  config, :class:`pipelines.train_parts.EmbedOptions`: TransE, 64 dimensions, 30 epochs)
  into ``RUN_DIR/knowledge/`` and records that run's config (including the
  store directory) in the training run's config.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

EMBED_SUBDIR = "knowledge"


@dataclass
class KnowledgeSource:
    """Everything training needs from the knowledge graph.

    Args:
        run_dir (Path): The embedding run used.
        run: The loaded :class:`pipelines.embed.EmbeddingRun`.
        label_pairs (list[tuple[str, str]]): ``(entity IRI, label or synonym)`` for the linker.
        triples (np.ndarray): ``[n, 3]`` (head, relation, tail) ids in the run's vocabularies.
        store_dir (Path, optional): The store the labels and edges came from.
        embedded_here (bool): Whether kgft embedded the store for this training run.
        notes (list[str]): What could not be used, and why. (default: ``[]``)
        unlinks (list[tuple[str, str | None]]): Annotated phrases that must not link (to one
            concept, or to any when ``None``); ``link`` annotations are in ``label_pairs``.
            (default: ``[]``)
        class_concepts (dict[str, str]): Annotated class label → concept IRI. (default: ``{}``)
    """

    run_dir: Path
    run: object
    label_pairs: list[tuple[str, str]]
    triples: np.ndarray
    store_dir: Path | None = None
    embedded_here: bool = False
    notes: list[str] = field(default_factory=list)
    unlinks: list[tuple[str, str | None]] = field(default_factory=list)
    class_concepts: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict:
        """What was used, for the training run's ``config.json``."""
        return {
            "embedding_run": str(self.run_dir),
            "store_dir": str(self.store_dir) if self.store_dir else None,
            "embedded_here": self.embedded_here,
            "model": self.run.config.get("model"),
            "dim": self.run.dim,
            "entities": len(self.run.entities),
            "labels": len(self.label_pairs),
            "edges": int(len(self.triples)),
            "kge_test_mrr": self.run.metrics.get("mrr"),
            "notes": self.notes,
        }


def is_embedding_run(path: Path) -> bool:
    """Whether ``path`` looks like a ``kgft embed`` run directory."""
    return (path / "entity_embeddings.npy").is_file() and (path / "entities.tsv").is_file()


def is_store(path: Path) -> bool:
    """Whether ``path`` looks like an embedded store directory."""
    return (path / "CURRENT").is_file()


def resolve_knowledge(path: Path | str, out_dir: Path, kge_config, write: bool = True) -> KnowledgeSource:
    """Load (or first create) the embedding run behind ``--knowledge``.

    Args:
        path (Path or str): An embedding run or an embedded store directory.
        out_dir (Path): The training run directory (a store is embedded into ``out_dir/knowledge``).
        kge_config (KgeConfig): The :class:`model.kge.KgeConfig` that embeds a store
            (:meth:`pipelines.train_config.TrainConfig.kge_config`).
        write (bool): Whether this process may embed (rank 0); other ranks wait and load.
            (default: ``True``)

    Raises:
        ConfigError: ``path`` is neither an embedding run nor a store.
        DataError: the store is empty or has no labels.
    """
    from pipelines.embed import load_embedding_run

    path = Path(path).expanduser().resolve()
    if is_embedding_run(path):
        run = load_embedding_run(path)
        store_dir = run.config.get("store_dir")
        return _complete(path, run, Path(store_dir) if store_dir else None, embedded_here=False)
    if is_store(path):
        run_dir = out_dir / EMBED_SUBDIR
        if not is_embedding_run(run_dir):
            if not write:
                raise DataError(f"{run_dir} should have been embedded by rank 0")
            embed_store(path, run_dir, kge_config)
        run = load_embedding_run(run_dir)
        return _complete(run_dir, run, path, embedded_here=True)
    raise ConfigError(
        f"--knowledge {path}: neither an embedding run (entity_embeddings.npy, entities.tsv) nor an embedded store",
        hint="give the --out directory of `kgft embed` or the --store directory of `kgft ontology import`",
    )


def embed_store(store_dir: Path, run_dir: Path, config) -> Path:
    """Embed an embedded store with ``kgft embed``'s pipeline into ``run_dir`` (atomically).

    The run's ``config.json`` records ``store_dir`` so training can read labels and edges.

    Args:
        store_dir (Path): The store.
        run_dir (Path): Target run directory (must not exist yet).
        config (KgeConfig): The :class:`model.kge.KgeConfig` of the run.

    Returns:
        Path: ``run_dir``.
    """
    from kg.open_store import open_store
    from pipelines.embed import embed

    logger.info("embedding %s into %s (%s)", store_dir, run_dir, config)
    store = open_store(store_dir, read_only=True)
    try:
        result = embed(store, out=None, config=config)
    finally:
        store.close()
    result.config["store_dir"] = str(store_dir.resolve())
    tmp = run_dir.with_name(run_dir.name + ".tmp")
    result.save(tmp)
    tmp.replace(run_dir)
    return run_dir


def _complete(run_dir: Path, run, store_dir: Path | None, embedded_here: bool) -> KnowledgeSource:
    notes: list[str] = []
    annotated: dict = {}
    from_neo4j = store_dir is None and bool(run.config.get("neo4j"))
    if from_neo4j or (store_dir is not None and is_store(store_dir)):
        label_pairs, named, annotated = read_store_knowledge(store_dir, neo4j=from_neo4j)
        if from_neo4j:
            notes.append("labels, edges and annotations from the Neo4j server the run was embedded from")
    else:
        if store_dir is not None:
            notes.append(f"store {store_dir} not found: labels from entities.tsv")
        label_pairs = [(iri, label) for iri, label in run.labels.items() if label]
        named = _from_triples_source(run.config, notes)
    if not label_pairs:
        raise DataError(f"the knowledge in {run_dir} has no entity labels to link text with",
                        hint="import an ontology with rdfs:label / skos:prefLabel labels")
    rel_index = {name: i for i, name in enumerate(run.relations)}
    rows = [(run.index[h], rel_index[r], run.index[t]) for h, r, t in named
            if h in run.index and t in run.index and r in rel_index]
    triples = np.asarray(sorted(set(rows)), dtype=np.int64).reshape(-1, 3)
    logger.info("knowledge: %d labels, %d edges from %s", len(label_pairs), len(triples), store_dir or run_dir)
    return KnowledgeSource(run_dir, run, label_pairs, triples, store_dir, embedded_here, notes, **annotated)


def read_store_knowledge(store_dir: Path | None, neo4j: bool = False) -> tuple[list, list, dict]:
    """What training reads from a store: label pairs, edges and the expert annotations.

    Args:
        store_dir (Path, optional): An embedded store (``None`` with ``neo4j``).
        neo4j (bool): Read the Neo4j server of the ``NEO4J_*`` settings instead. (default: ``False``)

    Returns:
        tuple: ``(label pairs, (s, p, o) edges, annotations)``: ``link`` rows are among the
        label pairs; the dict holds ``unlinks`` and ``class_concepts``.
    """
    from kg.annotations.backends import stored_annotations
    from kg.annotations.hooks import annotated_label_pairs, class_concepts
    from kg.graph import store_triples
    from kg.open_store import open_store

    store = open_store(store_dir, neo4j=neo4j, read_only=True)
    try:
        labels = {(iri, text) for iri, _, text in store.labels() if text and text.strip()}
        stored = stored_annotations(store)
        extra, unlinks = annotated_label_pairs(stored)
        named = list(store_triples(store))
        annotated = {"unlinks": unlinks, "class_concepts": class_concepts(stored)}
    finally:
        store.close()
    return sorted(labels | set(extra)), named, annotated


def _from_triples_source(config: dict, notes: list[str]) -> list[tuple[str, str, str]]:
    source = str((config.get("graph") or {}).get("source", ""))
    if source.startswith("triples:"):
        from kg.graph import load_triples_dir

        graph = load_triples_dir(source[len("triples:"):])
        return [(graph.entities[h], graph.relations[r], graph.entities[t]) for h, r, t in graph.train.tolist()]
    notes.append("no graph edges available: neighbour term and --joint disabled")
    return []
