"""Set up the knowledge channel of a training run from its knowledge graph.

:func:`build_channel_spec` reads, once per run, what the channel needs from the
:class:`~pipelines.knowledge.KnowledgeSource`:

* the concept ids (rows of the KGE run's entity table plus one; 0 pads);
* the :class:`~model.knowledge.hierarchy.ConceptHierarchy` of its edges;
* the bag features: concepts that are a proper ancestor of at least
  ``bag_min_descendants`` linkable concepts (class-like concepts such as a
  lexicon's polarities or MeSH's categories), plus the class concepts;
* the **label alignment**: each class label's concept, from an expert's
  ``class`` annotation in the store (``kgft annotate``), a class map
  (``--class-map``, or the one shipped for the dataset) or else a concept whose
  label equals the class name or starts with it (``pos`` → ``positive``),
  preferring the concept with most descendants.

:class:`ChannelSpec` is saved as ``channel.json`` in the run directory, so
evaluation, prediction and explanation rebuild the same inputs without the
store. :meth:`ChannelSpec.for_seed` gives one seed's encoder, graph vectors
and vote; the shuffled control permutes, with that seed, exactly what is
injected: the concept-to-ancestor map, the label alignment and the vectors.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from core.errors import ConfigError, DataError
from core.validation import require_choice, require_non_negative
from model.knowledge.channel_inputs import ChannelEncoder
from model.knowledge.hierarchy import ConceptHierarchy

logger = logging.getLogger(__name__)

CHANNEL_INITS = ("graph", "random")
#: Offsets of the shuffled control's generators (one per permuted input) from the seed.
_SHUFFLE_OFFSETS = {"concepts": 7919, "classes": 7927, "vectors": 7933}


@dataclass(frozen=True)
class ChannelOptions:
    """The ``[channel]`` part of a training configuration.

    Args:
        enabled (bool): Build the channel for knowledge runs. (default: ``True``)
        concept_dim (int): Concept vector size beside each word embedding. (default: ``16``)
        slots (int): Concepts per token (the linked ones, then ancestors nearest first). (default: ``4``)
        max_entities (int): Entities of an ambiguous mention used. (default: ``4``)
        ancestor_depth (int): Parent hops followed. (default: ``10``)
        bag_min_descendants (int): A concept is a bag feature when it is an ancestor of at
            least this many linkable concepts. (default: ``2``)
        vote (float): Initial weight from each class's concept to the class (0: no
            label-alignment start). (default: ``1.0``)
        reg (float): Weight of the pull of concept vectors toward the graph's. (default: ``1.0``)
        lr_scale (float): Learning-rate multiplier of the channel's parameters. (default: ``1.0``)
        init (str): ``graph`` (KGE vectors) or ``random`` (ablation). (default: ``"graph"``)
        class_map (str, optional): Class-map file (TOML/JSON) aligning classes to concepts;
            default the one shipped for the dataset, else label matching. (default: ``None``)
        hierarchy_predicates (tuple[str, ...]): Child → parent predicates (IRIs or local
            names); empty uses :data:`~model.knowledge.hierarchy.HIERARCHY_PREDICATES`. (default: ``()``)
    """

    enabled: bool = True
    concept_dim: int = 16
    slots: int = 4
    max_entities: int = 4
    ancestor_depth: int = 10
    bag_min_descendants: int = 2
    vote: float = 1.0
    reg: float = 1.0
    lr_scale: float = 1.0
    init: str = "graph"
    class_map: str | None = None
    hierarchy_predicates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require_choice(self.init, CHANNEL_INITS, "channel init")
        for name in ("concept_dim", "slots", "max_entities", "ancestor_depth", "bag_min_descendants"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"channel.{name} must be at least 1, got {getattr(self, name)}")
        require_non_negative("channel", ("vote", "reg", "lr_scale"), self)
        if self.lr_scale <= 0:
            raise ConfigError(f"channel.lr_scale must be positive, got {self.lr_scale}")
        object.__setattr__(self, "hierarchy_predicates", tuple(self.hierarchy_predicates))

    def to_dict(self) -> dict:
        """Plain dict form (``config.json``)."""
        return {**asdict(self), "hierarchy_predicates": list(self.hierarchy_predicates)}


@dataclass
class SeedChannel:
    """One seed's channel: its encoder, the graph vectors of the concept table and the vote.

    Args:
        encoder (ChannelEncoder): Entities → channel inputs.
        vectors (Tensor): ``[num_concepts, entity_dim]`` (row 0 zeros).
        vote (dict[int, int]): Class id → bag feature of its concept.
    """

    encoder: ChannelEncoder
    vectors: torch.Tensor
    vote: dict[int, int]


@dataclass
class ChannelSpec:
    """What the channel reads from the graph (saved as ``channel.json``).

    Args:
        concepts (list[str]): Concept IRI per concept id (``""`` for 0).
        hierarchy (ConceptHierarchy): Ancestors by concept id.
        bag_features (list[int]): Concept ids of the bag features.
        class_concepts (dict[str, str]): Class label → aligned concept IRI.
        slots (int): Concept ids per token.
        max_entities (int): Entities of an ambiguous mention used.
        shuffled (bool): Whether this is the shuffled control.
    """

    concepts: list[str]
    hierarchy: ConceptHierarchy
    bag_features: list[int]
    class_concepts: dict[str, str]
    slots: int
    max_entities: int
    shuffled: bool = False

    @property
    def index(self) -> dict[str, int]:
        """Concept IRI → concept id."""
        return {iri: i for i, iri in enumerate(self.concepts) if i}

    def _permutation(self, seed: int, what: str) -> np.ndarray:
        rng = np.random.default_rng(int(seed) + _SHUFFLE_OFFSETS[what])
        return np.concatenate([[0], rng.permutation(len(self.concepts) - 1) + 1])

    def for_seed(self, seed: int, labels: list[str], table: np.ndarray | None = None,
                 init: str = "graph") -> SeedChannel:
        """The encoder, concept-table vectors and vote of one seed.

        Args:
            seed (int): The seed (the shuffled control's permutations depend on it).
            labels (list[str]): Class labels, in class-id order.
            table (np.ndarray, optional): The KGE run's ``[entities, d]`` vectors; ``None``
                (loading a trained run) gives zeros, replaced by the checkpoint's. (default: ``None``)
            init (str): ``graph`` (the KGE vectors) or ``random`` (seeded N(0, 1) rows, the
                ablation). (default: ``"graph"``)
        """
        index = self.index
        permutation = self._permutation(seed, "concepts") if self.shuffled else None
        encoder = ChannelEncoder(index, self.hierarchy, self.bag_features, self.slots, self.max_entities,
                                 permutation)
        feature_of = {c: i for i, c in enumerate(self.bag_features)}
        vote = {k: feature_of[index[self.class_concepts[lab]]] for k, lab in enumerate(labels)
                if lab in self.class_concepts and index.get(self.class_concepts[lab]) in feature_of}
        if self.shuffled and vote:
            rng = np.random.default_rng(int(seed) + _SHUFFLE_OFFSETS["classes"])
            vote = {k: int(f) for k, f in zip(vote, rng.choice(len(self.bag_features), len(vote), replace=False))}
        return SeedChannel(encoder, self._vectors(seed, table, init), vote)

    def _vectors(self, seed: int, table: np.ndarray | None, init: str) -> torch.Tensor:
        n = len(self.concepts)
        if table is None:
            return torch.zeros(n, 1)
        rows = torch.from_numpy(np.asarray(table, dtype=np.float32))
        if init == "random":
            rows = torch.randn(rows.shape, generator=torch.Generator().manual_seed(int(seed)))
        vectors = torch.cat([torch.zeros(1, rows.shape[1]), rows])
        if self.shuffled:
            vectors = vectors[torch.from_numpy(self._permutation(seed, "vectors"))]
        return vectors

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"concepts": self.concepts, "hierarchy": self.hierarchy.to_dict(),
                "bag_features": self.bag_features, "class_concepts": self.class_concepts,
                "slots": self.slots, "max_entities": self.max_entities, "shuffled": self.shuffled}

    @classmethod
    def from_dict(cls, data: dict) -> "ChannelSpec":
        """Rebuild from :meth:`to_dict` output."""
        return cls(list(data["concepts"]), ConceptHierarchy.from_dict(data["hierarchy"]),
                   [int(c) for c in data["bag_features"]], dict(data["class_concepts"]), int(data["slots"]),
                   int(data["max_entities"]), bool(data["shuffled"]))

    def summary(self) -> dict:
        """Sizes and the alignment, for the run's ``config.json``."""
        return {"concepts": len(self.concepts) - 1, "bag_features": len(self.bag_features),
                "with_parents": len(self.hierarchy.parents), "class_concepts": self.class_concepts,
                "shuffled": self.shuffled}


def build_channel_spec(knowledge, labels: list[str], dataset: str, options: ChannelOptions,
                       shuffled: bool = False) -> ChannelSpec:
    """The channel spec of a training run.

    Args:
        knowledge: The :class:`~pipelines.knowledge.KnowledgeSource`.
        labels (list[str]): Class labels.
        dataset (str): Dataset name or path (selects the shipped class map).
        options (ChannelOptions): The run's channel options.
        shuffled (bool): The shuffled control. (default: ``False``)

    Raises:
        DataError: a class map names a concept the graph does not hold.
    """
    run = knowledge.run
    concepts = [""] + list(run.entities)
    relations = list(run.relations)
    edges = ((int(h) + 1, relations[int(r)], int(t) + 1) for h, r, t in knowledge.triples)
    predicates = options.hierarchy_predicates
    hierarchy = (ConceptHierarchy.from_edges(edges, options.ancestor_depth, predicates)
                 if predicates else ConceptHierarchy.from_edges(edges, options.ancestor_depth))
    linkable = {run.index[iri] + 1 for iri, _ in knowledge.label_pairs if iri in run.index}
    counts = hierarchy.descendant_counts(linkable)
    class_concepts = align_classes(labels, dataset, knowledge, counts, options.class_map)
    index = {iri: i for i, iri in enumerate(concepts) if i}
    bag = {c for c, n in counts.items() if n >= options.bag_min_descendants}
    bag |= {index[iri] for iri in class_concepts.values()}
    spec = ChannelSpec(concepts, hierarchy, sorted(bag), class_concepts, options.slots, options.max_entities,
                       shuffled)
    logger.info("knowledge channel: %d concepts, %d with parents, %d bag features, classes aligned: %s",
                len(concepts) - 1, len(hierarchy.parents), len(bag), class_concepts)
    return spec


def align_classes(labels: list[str], dataset: str, knowledge, descendants: dict[int, int],
                  class_map: str | None = None) -> dict[str, str]:
    """Class label → concept IRI (see the module docstring); classes without a concept are left out.

    Raises:
        DataError: a class map names a concept that is not in the knowledge graph.
    """
    from kg.evidence.class_map import default_class_map, load_class_map

    run = knowledge.run
    cmap = load_class_map(class_map) if class_map else default_class_map(dataset)
    out: dict[str, str] = {lab: iri for lab, iri in knowledge.class_concepts.items()
                           if lab in labels and iri in run.index}  # expert annotations first
    if cmap is not None:
        for label in labels:
            if label in out:
                continue
            found = [iri for iri in cmap.concepts_for(label) if iri in run.index]
            if cmap.concepts_for(label) and not found and class_map:
                raise DataError(f"{class_map}: class {label!r} maps to concepts that are not in the knowledge graph",
                                hint="check the IRIs against `kgft ontology stats` or the embedding run's entities.tsv")
            if found:
                out[label] = found[0]
    by_label: dict[str, set[str]] = {}
    for iri, text in knowledge.label_pairs:
        by_label.setdefault(str(text).casefold(), set()).add(iri)
    for label in labels:
        if label in out:
            continue
        key = str(label).casefold()
        candidates = by_label.get(key) or {iri for text, iris in by_label.items()
                                           if len(key) >= 3 and text.startswith(key) for iri in iris}
        ranked = sorted((descendants.get(run.index[i] + 1, 0), i) for i in candidates if i in run.index)
        if ranked and ranked[-1][0] > 0:
            out[label] = ranked[-1][1]
    return out


def save_spec(spec: ChannelSpec, path: Path) -> Path:
    """Write ``channel.json``."""
    from core.fsutil import write_json_atomic

    return write_json_atomic(path, spec.to_dict())


def load_spec(path: Path) -> ChannelSpec:
    """Read ``channel.json``.

    Raises:
        DataError: the file is not a channel spec.
    """
    from core.fsutil import read_json

    data = read_json(path, "knowledge channel file")
    try:
        return ChannelSpec.from_dict(data)
    except (KeyError, TypeError, ValueError):
        raise DataError(f"{path} is not a kgft knowledge-channel file") from None
