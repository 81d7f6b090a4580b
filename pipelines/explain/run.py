"""The ``explain`` workflow: a trained run and texts in, explanations out.

:func:`explain` is a thin orchestrator::

    load_run → open_graph (store from --store/--neo4j or the run's knowledge)
      → resolve_class_map (--class-map FILE, the dataset's shipped default,
        or class names matching concept labels) → explain_text per text
        (with add_evidence: labels and shortest paths of the top entities) → ExplainResult

A run trained without knowledge gets explanations without entities, graph and
counterfactual, and a note saying so; a knowledge run whose store cannot be
found gets them without graph paths, and a note.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from core.errors import ConfigError, ModelError
from pipelines.explain.result import ExplainResult, TextExplanation
from pipelines.explain.text import explain_text

logger = logging.getLogger(__name__)

NO_KNOWLEDGE_NOTE = (
    "this run was trained without knowledge (a baseline): the explanation has token attributions only, "
    "no linked entities, graph evidence or counterfactual"
)


@dataclass
class EvidenceGraph:
    """An open store for evidence, how to describe it, and what expert annotations added to it:
    ``annotated`` edges (``(subject, predicate, object) -> "file:line"``) and ``links``
    (:func:`kg.annotations.hooks.annotated_links`)."""

    store: object
    finder: object
    kind: str
    location: str
    annotated: dict
    links: dict

    def close(self) -> None:
        """Close the store."""
        self.store.close()


def load_run(run_dir: Path | str, seed: int | None = None):
    """Load a trained run (see :func:`pipelines.run_files.load_trained_run`) with clear errors.

    Raises:
        ModelError: the directory is missing, is not a training run, comes from
            another kgft version or lacks its files.
    """
    from pipelines.run_dir import RunDir
    from pipelines.run_files import load_trained_run

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ModelError(f"run directory not found: {run_dir}", hint="pass a directory written by kgft train --out")
    missing = RunDir(run_dir).missing_inputs()
    if missing:
        raise ModelError(
            f"{run_dir} is not a complete kgft training run (missing {', '.join(missing)})",
            hint="it may be from another kgft version or an interrupted run; train it again with kgft train",
        )
    return load_trained_run(run_dir, seed)


def open_graph(run, store_dir: Path | None, neo4j: bool, notes: list[str]) -> EvidenceGraph | None:
    """The store graph evidence comes from, or ``None`` (with a note) when there is none.

    Order: ``--neo4j``, ``--store DIR``, then the embedded store the run's knowledge came from.

    Raises:
        StoreError, Neo4jUnavailable: an explicitly requested store cannot be opened.
    """
    from kg.annotations.backends import stored_annotations
    from kg.annotations.hooks import annotated_links, annotated_statements
    from kg.evidence import path_finder
    from kg.open_store import open_store

    if neo4j or store_dir is not None:
        store = open_store(store_dir, neo4j=neo4j, read_only=True)
    else:
        known = (run.config.get("knowledge") or {}).get("store_dir")
        if not known or not (Path(known) / "CURRENT").is_file():
            notes.append(
                "graph evidence skipped: the run's knowledge names no embedded store that exists here"
                + (f" ({known})" if known else "") + "; pass --store DIR or --neo4j"
            )
            return None
        store = open_store(Path(known), read_only=True)
    try:
        finder = path_finder(store)
        stored = stored_annotations(store)
        annotated, links = annotated_statements(stored), annotated_links(stored)
    except BaseException:
        store.close()
        raise
    location = getattr(store, "uri", None) if neo4j else str(getattr(store, "directory", store_dir))
    return EvidenceGraph(store, finder, "neo4j" if neo4j else "embedded", str(location), annotated, links)


def resolve_class_map(run, class_map: Path | None, graph: EvidenceGraph | None, notes: list[str]):
    """The class map: ``--class-map``, the dataset's shipped default, or class names found as labels."""
    from kg.evidence import class_map_from_labels, default_class_map, load_class_map
    from pipelines.train_config import saved_settings

    if class_map is not None:
        return load_class_map(class_map)
    dataset = saved_settings(run.config.get("train", {})).get("data.dataset")
    found = default_class_map(dataset)
    if found is None and graph is not None:
        found = class_map_from_labels(run.labels, graph.finder)
    if found is None:
        notes.append(
            f"no class map for dataset {dataset!r} and no concept is labelled like a class: "
            "graph paths are skipped; pass --class-map FILE"
        )
    return found


#: At most this many entities per text are searched in the graph (ties of one mention included).
MAX_SEARCHED = 50


def mark_annotated_links(exp: TextExplanation, links: dict) -> None:
    """Give each mention linked by an expert's ``link`` row that row's ``"annotation": "file:line"``."""
    from kg.linking.normalize import phrase_key

    for ent in exp.entities:
        for mention in ent.mentions:
            source = links.get((phrase_key(mention["text"], fold=True), ent.iri))
            if source:
                mention["annotation"] = source


def add_evidence(exp: TextExplanation, graph: EvidenceGraph, cmap, top_k: int, cache: dict) -> None:
    """Labels for the entities, and shortest paths to the class concepts they reach.

    The entities of the ``top_k`` most important mentions are searched (all
    entities of a mention share its attribution: a word such as "good" may link
    to a lexicon word and several WordNet synsets). ``paths`` lead to the
    predicted class's concepts and support the prediction; ``opposing`` paths
    lead to another class's concepts (each marked with its class). Entities of
    equal share are then ordered with those that have evidence first. Paths
    never pass through the concepts of a class other than their target's
    ("awful → Negative ← envious → Positive" is no evidence for Positive).
    """
    mark_annotated_links(exp, graph.links)
    label = exp.prediction["label"]
    targets = cmap.concepts_for(label) if cmap is not None else []
    if cmap is not None and not targets:
        exp.notes.append(f"class map {cmap.name!r} maps no concept to class {label!r}: no graph paths")
    others = sorted({c for k, cs in cmap.classes.items() if cs != targets for c in cs} - set(targets)) if cmap else []
    top_shares = sorted({e.share for e in exp.entities}, reverse=True)[:top_k]
    searched = [e for e in exp.entities if e.share in top_shares][:MAX_SEARCHED] if targets else []
    classes = list(exp.prediction["probabilities"])  # the model's labels (a map may serve other datasets too)
    class_of = {c: k for k in classes for c in cmap.concepts_for(k)} if cmap else {}
    found, against = {}, {}
    for ent in searched:
        ent.is_class_concept = ent.iri in targets
        key = (ent.iri, label)
        if key not in cache:
            cache[key] = (
                [] if ent.is_class_concept else graph.finder.shortest_paths(ent.iri, targets, cmap.policy, avoid=others),
                [] if ent.iri in others or not others else graph.finder.shortest_paths(
                    ent.iri, others, cmap.policy, avoid=targets),
            )
        found[ent.iri], against[ent.iri] = cache[key]
    iris = {e.iri for e in exp.entities}
    for paths in (*found.values(), *against.values()):
        for p in paths:
            iris.update(p.nodes)
            iris.update(s.predicate for s in p.steps)
    labels = graph.finder.labels(sorted(iris))
    for ent in exp.entities:
        ent.label = labels.get(ent.iri, ent.label)
        if ent.iri in found:
            ent.paths = [p.to_dict(labels, graph.annotated) for p in found[ent.iri]]
            ent.opposing = [{"class": class_of.get(p.nodes[-1], ""), **p.to_dict(labels, graph.annotated)}
                            for p in against[ent.iri]]
    exp.entities.sort(key=lambda e: (-e.share, not (e.is_class_concept or e.paths), e.iri))


def explain(
    run_dir: Path | str,
    texts: Sequence[str],
    store_dir: Path | None = None,
    neo4j: bool = False,
    class_map: Path | None = None,
    top_k: int = 5,
    n_steps: int = 50,
    seed: int | None = None,
) -> ExplainResult:
    """Explain the predictions of a trained run on ``texts``.

    Args:
        run_dir (Path or str): A ``kgft train`` run directory.
        texts (Sequence[str]): Texts to explain (non-empty strings).
        store_dir (Path, optional): Embedded store for graph evidence. (default: the run's store)
        neo4j (bool): Use the Neo4j server for graph evidence. (default: ``False``)
        class_map (Path, optional): Class-map TOML/JSON file. (default: shipped default)
        top_k (int): Top tokens listed and entities searched in the graph. (default: ``5``)
        n_steps (int): Integrated-gradients steps. (default: ``50``)
        seed (int, optional): Which seed's model of a multi-seed run. (default: the first)

    Returns:
        ExplainResult: One explanation per text.

    Raises:
        ConfigError: no texts, an empty text, or a non-positive ``top_k``/``n_steps``.
        ModelError: a missing or incompatible run.
        StoreError, Neo4jUnavailable: a requested store cannot be opened.
    """
    if top_k < 1 or n_steps < 1:
        raise ConfigError(f"--top and --steps must be positive (got {top_k} and {n_steps})")
    texts = list(texts)
    if not texts:
        raise ConfigError("nothing to explain: give a text or a --file with non-empty lines")
    for i, t in enumerate(texts, 1):
        if not t.strip():
            raise ConfigError(f"text {i} is empty")
    run = load_run(run_dir, seed)
    notes: list[str] = []
    graph = None
    if not run.has_knowledge:
        notes.append(NO_KNOWLEDGE_NOTE)
    else:
        graph = open_graph(run, store_dir, neo4j, notes)
    try:
        cmap = resolve_class_map(run, class_map, graph, notes) if graph is not None else None
        evidence = None
        if graph is not None:
            evidence = functools.partial(add_evidence, graph=graph, cmap=cmap, top_k=top_k, cache={})
        explanations = [explain_text(run, text, top_k=top_k, n_steps=n_steps, evidence=evidence) for text in texts]
    finally:
        if graph is not None:
            graph.close()
    return ExplainResult(
        run_dir=str(run.run_dir),
        classes=list(run.labels),
        knowledge={
            "used": run.has_knowledge,
            "store": graph.kind if graph else None,
            "store_location": graph.location if graph else None,
            "class_map": cmap.to_dict() if graph is not None and cmap is not None else None,
        },
        attribution={
            "method": "integrated_gradients", "layer": "embedding", "output": "probability",
            "baseline": "<unk> embedding", "n_steps": n_steps,
            "counterfactual_baseline": "<unk> embedding for the top entity's knowledge tokens",
        },
        explanations=explanations,
        notes=notes,
    )
