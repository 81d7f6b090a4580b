"""The ``annotate suggest`` workflow: a dataset and a store in, proposed annotations out.

:func:`suggest` reads what training would read (the dataset as
:func:`pipelines.train.load_data` loads it, training split only; the store's
labels, annotations and edges as :mod:`pipelines.knowledge` reads them; the
linker as :func:`pipelines.train.build_linker` builds it) and writes, in the
annotation file format (:mod:`kg.annotations.fileformat`) with a ``score``
and a ``reason`` per row:

* ``class`` rows for class labels training does not align to a concept
  (:func:`pipelines.knowledge_channel.align_classes`, or the alignment saved
  in ``--run``'s ``channel.json``), :mod:`kg.annotations.suggest_classes`;
* ``link`` rows for phrases that do not link, :mod:`kg.annotations.suggest_links`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from kg.annotations.suggest_links import LinkOptions
from core.errors import DataError

logger = logging.getLogger(__name__)


@dataclass
class SuggestResult:
    """What :func:`suggest` wrote.

    Args:
        output (Path): The annotation file.
        links (int): ``link`` rows.
        classes (int): ``class`` rows.
        texts (int): Training texts read.
        unaligned (list[str]): Class labels without a concept before the suggestions.
        seconds (float): Wall time.
    """

    output: Path
    links: int
    classes: int
    texts: int
    unaligned: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for the command line."""
        return (f"{self.output}: {self.links} link and {self.classes} class proposals from {self.texts} "
                f"training texts ({len(self.unaligned)} classes unaligned) in {self.seconds:.1f}s")


def read_store(store_dir: Path | None, neo4j: bool = False) -> tuple[list, list, dict]:
    """``(label pairs, edges, annotations)`` of an embedded store or the Neo4j server, as training reads them.

    Raises:
        DataError: ``store_dir`` is not an embedded store.
        Neo4jUnavailable: ``neo4j`` and the server cannot be reached.
    """
    from pipelines.knowledge import is_store, read_store_knowledge

    if neo4j:
        return read_store_knowledge(None, neo4j=True)
    if not is_store(Path(store_dir)):
        raise DataError(f"no embedded store in {store_dir}",
                        hint="give the --store directory of `kgft ontology import`")
    return read_store_knowledge(Path(store_dir))


def aligned_classes(label_names: list[str], dataset: str, label_pairs: list, edges: list, annotated: dict,
                    options) -> dict[str, str]:
    """Class label → concept as a training run would align them (without embedding the store).

    Args:
        label_names (list[str]): Class labels.
        dataset (str): Dataset name or path (selects the shipped class map).
        label_pairs (list): ``(IRI, label)`` pairs of the store.
        edges (list): ``(subject, predicate, object)`` edges of the store.
        annotated (dict): The store's ``class_concepts`` (and ``unlinks``).
        options (ChannelOptions): The channel options (class map, depth, hierarchy predicates).
    """
    from model.knowledge.hierarchy import ConceptHierarchy
    from pipelines.knowledge_channel import align_classes

    entities = sorted({iri for iri, _ in label_pairs} | {s for s, _, _ in edges} | {o for _, _, o in edges})
    index = {iri: i for i, iri in enumerate(entities)}
    by_id = ((index[s] + 1, p, index[o] + 1) for s, p, o in edges)
    predicates = options.hierarchy_predicates
    hierarchy = (ConceptHierarchy.from_edges(by_id, options.ancestor_depth, predicates) if predicates
                 else ConceptHierarchy.from_edges(by_id, options.ancestor_depth))
    counts = hierarchy.descendant_counts({index[iri] + 1 for iri, _ in label_pairs})
    knowledge = SimpleNamespace(run=SimpleNamespace(index=index), label_pairs=label_pairs,
                                class_concepts=annotated.get("class_concepts", {}))
    return align_classes(label_names, dataset, knowledge, counts, options.class_map)


def _run_alignment(run_dir: Path) -> dict[str, str]:
    """The class alignment a trained run used (its ``channel.json``; empty without a channel)."""
    from pipelines.knowledge_channel import load_spec
    from pipelines.run_dir import RunDir

    path = RunDir(run_dir).channel
    return dict(load_spec(path).class_concepts) if path.is_file() else {}


def kge_neighbours(embedding: Path | None):
    """The nearest-concept lookup of an embedding run (:class:`~kg.annotations.kge_neighbours.KgeNeighbours`),
    or ``None`` without one.

    Raises:
        ModelError: ``embedding`` is not an embedding run.
    """
    if embedding is None:
        return None
    from kg.annotations.kge_neighbours import KgeNeighbours
    from pipelines.embed_run import load_embedding_run

    run = load_embedding_run(embedding)
    return KgeNeighbours(run.entities, run.matrix)


def suggest(dataset: str, store_dir: Path | str | None, output: Path | str, *, seed: int = 0,
            run_dir: Path | None = None, link_options: LinkOptions = LinkOptions(), config=None,
            neo4j: bool = False, embedding: Path | None = None) -> SuggestResult:
    """Propose ``class`` and ``link`` annotations for a dataset and write them as an annotation file.

    Args:
        dataset (str): ``mr``, ``ohsumed``... or a CSV/TSV/JSONL path (as ``kgft train --dataset``).
        store_dir (Path or str, optional): The embedded store (``None`` with ``neo4j``).
        output (Path or str): The annotation file to write (CSV when it ends in ``.csv``).
        seed (int): The seed of the dataset's splits. (default: ``0``)
        run_dir (Path, optional): A trained run whose class alignment to use. (default: ``None``)
        link_options (LinkOptions): Limits and weights of the link proposals. (default: ``LinkOptions()``)
        config (TrainConfig, optional): Training settings (tokenizer, linking, channel); default
            ``TrainConfig().replace(dataset=dataset, seed=seed, knowledge=store_dir)``.
        neo4j (bool): Read labels, edges and annotations from the Neo4j server instead. (default: ``False``)
        embedding (Path, optional): An embedding run of the store: each concept's nearest concepts
            by its vectors join the graph context of link proposals. (default: ``None``)

    Raises:
        DataError: unknown dataset, missing store or run.
    """
    from kg.annotations.context import ConceptContext
    from kg.annotations.fileformat import write_annotations
    from kg.annotations.label_index import LabelIndex
    from kg.annotations.suggest_classes import class_rows, suggest_classes
    from kg.annotations.suggest_links import link_rows, linked_corpus, suggest_links
    from model.text import Tokenizer
    from pipelines.train import build_linker, load_data
    from pipelines.train_config import TrainConfig

    start = time.perf_counter()
    source = None if neo4j else str(store_dir)
    config = config or TrainConfig().replace(dataset=str(dataset), seed=seed, knowledge=source)
    label_pairs, edges, annotated = read_store(None if neo4j else Path(store_dir), neo4j)
    if run_dir is not None and not Path(run_dir).is_dir():
        raise DataError(f"run directory not found: {run_dir}", hint="pass a directory written by kgft train --out")
    data = load_data(config)
    knowledge = SimpleNamespace(label_pairs=label_pairs, unlinks=annotated.get("unlinks", []))
    linker = build_linker(knowledge, data, config)
    tokens, covered, concepts = linked_corpus([ex.text for ex in data.train], Tokenizer(lowercase=config.data.lowercase),
                                              linker)
    labels = [ex.label for ex in data.train]
    fold = config.linking.fold_plurals
    index = LabelIndex(label_pairs, fold=fold)
    found = suggest_links(tokens, covered, concepts, labels, data.labels, index, edges, link_options, fold=fold,
                          unlinks=annotated.get("unlinks", []), nearest=kge_neighbours(embedding))
    aligned = (_run_alignment(Path(run_dir)) if run_dir is not None
               else aligned_classes(data.labels, config.data.dataset, label_pairs, edges, annotated, config.channel))
    classes = suggest_classes(data.labels, aligned, labels, index, ConceptContext(concepts, edges))
    write_annotations(class_rows(classes) + link_rows(found, data.labels), output)
    unaligned = [lab for lab in data.labels if lab not in aligned]
    logger.info("suggest: %d links, %d classes (%d unaligned)", len(found), len(classes), len(unaligned))
    return SuggestResult(Path(output), len(found), len(classes), len(data.train), unaligned,
                         time.perf_counter() - start)
