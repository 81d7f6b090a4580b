"""What the knowledge channel reads: concept slots per token and a bag of ancestors per text.

:class:`ChannelEncoder` turns the entities the linker found in one text (per
token position, and per mention) into

* per token: up to ``slots`` concept ids, the linked concepts first, then
  their ancestors nearest first (id 0 pads);
* per text: a bag of *class-like* ancestors (concepts that are an ancestor of
  several linkable concepts), each counted once per mention, weighted
  ``log(1 + count)``; a negated mention (:mod:`model.knowledge.negation`)
  counts in the bag's second half, so the bag has ``2 * len(bag_features)`` features.

Concept ids are rows of the knowledge run's entity table plus one (0 is
padding). ``permutation`` (the shuffled control) replaces every linked concept
by another one before its ancestors are looked up, so the control keeps the
same amount of structure but not the graph's.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch

from model.knowledge.hierarchy import ConceptHierarchy


@dataclass
class ChannelDoc:
    """The channel's input for one text.

    Args:
        positions (np.ndarray): ``[n]`` token positions that carry concepts.
        slots (np.ndarray): ``[n, slots]`` concept ids at those positions (0 pads).
        bag_ids (np.ndarray): ``[m]`` bag feature ids.
        bag_weights (np.ndarray): ``[m]`` their ``log(1 + count)`` weights.
    """

    positions: np.ndarray
    slots: np.ndarray
    bag_ids: np.ndarray
    bag_weights: np.ndarray


@dataclass
class ChannelBatch:
    """Padded channel inputs of one batch.

    Args:
        concepts (Tensor): ``[B, T, slots]`` concept ids (0 pads).
        bag_ids (Tensor): ``[N]`` bag feature ids of every text, concatenated.
        bag_offsets (Tensor): ``[B]`` where each text's bag starts in ``bag_ids``.
        bag_weights (Tensor): ``[N]`` feature weights.
    """

    concepts: torch.Tensor
    bag_ids: torch.Tensor
    bag_offsets: torch.Tensor
    bag_weights: torch.Tensor

    def to(self, device) -> "ChannelBatch":
        """The same batch on ``device``."""
        return ChannelBatch(*(t.to(device, non_blocking=True) for t in
                              (self.concepts, self.bag_ids, self.bag_offsets, self.bag_weights)))


class ChannelEncoder:
    """Entities per token → :class:`ChannelDoc`.

    Args:
        index (Mapping[str, int]): Entity IRI → concept id (>= 1).
        hierarchy (ConceptHierarchy): Ancestors by concept id.
        bag_features (Sequence[int]): Concept ids that are bag features, in feature order.
        slots (int): Concept ids kept per token. (default: ``4``)
        max_entities (int): Entities of an ambiguous mention used. (default: ``4``)
        permutation (np.ndarray, optional): ``[num_concepts]`` concept id → the id whose
            ancestors it gets (the shuffled control). (default: ``None``)
    """

    def __init__(self, index: Mapping[str, int], hierarchy: ConceptHierarchy, bag_features: Sequence[int],
                 slots: int = 4, max_entities: int = 4, permutation: np.ndarray | None = None) -> None:
        self.index = index
        self.hierarchy = hierarchy
        self.bag_of = {int(c): i for i, c in enumerate(bag_features)}
        self.slots = int(slots)
        self.max_entities = int(max_entities)
        self.permutation = permutation
        self.bag_size = 2 * len(self.bag_of)
        self._cache: dict[tuple[str, ...], tuple[list[int], list[int]]] = {}

    def concepts_of(self, entities: Sequence[str]) -> tuple[list[int], list[int]]:
        """Slot ids and bag feature ids of one mention's entities."""
        key = tuple(entities[: self.max_entities])
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        ids = [self.index[e] for e in key if e in self.index]
        if self.permutation is not None:
            ids = [int(self.permutation[i]) for i in ids]
        ranked: dict[int, int] = {}
        for concept in ids:
            for c, depth in self.hierarchy.closure(concept):
                if depth < ranked.get(c, 1 << 30):
                    ranked[c] = depth
        ordered = sorted(ranked, key=lambda c: (ranked[c], c))
        slots = ordered[: self.slots]
        bag = [self.bag_of[c] for c in ordered if ranked[c] >= 1 and c in self.bag_of]
        self._cache[key] = (slots, bag)
        return slots, bag

    def encode(self, position_entities: Sequence[Sequence[str]], mention_entities: Sequence[Sequence[str]],
               mention_negated: Sequence[bool] = ()) -> ChannelDoc:
        """The channel input of one text.

        Args:
            position_entities (Sequence[Sequence[str]]): Entity IRIs per token (empty when unlinked).
            mention_entities (Sequence[Sequence[str]]): Entity IRIs per mention (bag counts).
            mention_negated (Sequence[bool]): Whether each mention is negated (empty: none). (default: ``()``)
        """
        positions, rows = [], []
        for pos, ents in enumerate(position_entities):
            if ents:
                slots, _ = self.concepts_of(ents)
                if slots:
                    positions.append(pos)
                    rows.append(slots + [0] * (self.slots - len(slots)))
        counts: Counter = Counter()
        half = len(self.bag_of)
        for k, ents in enumerate(mention_entities):
            shift = half if k < len(mention_negated) and mention_negated[k] else 0
            counts.update(f + shift for f in self.concepts_of(ents)[1])
        bag = sorted(counts.items())
        return ChannelDoc(
            np.asarray(positions, dtype=np.int64),
            np.asarray(rows, dtype=np.int64).reshape(-1, self.slots),
            np.asarray([b for b, _ in bag], dtype=np.int64),
            np.asarray([math.log1p(n) for _, n in bag], dtype=np.float32),
        )


def slot_concepts(docs: Sequence[ChannelDoc]) -> np.ndarray:
    """The distinct non-zero concept ids in the token slots of ``docs``, ascending."""
    ids = np.unique(np.concatenate([d.slots.ravel() for d in docs])) if docs else np.zeros(0, np.int64)
    return ids[ids != 0].astype(np.int64)


def collate_channel(docs: Sequence[ChannelDoc], length: int, slots: int) -> ChannelBatch:
    """Pad the channel inputs of one batch to ``length`` tokens.

    Args:
        docs (Sequence[ChannelDoc]): One per text, in batch order.
        length (int): Padded token length ``T`` of the batch.
        slots (int): Concept ids per token.
    """
    concepts = np.zeros((len(docs) * length, slots), dtype=np.int64)
    sizes = np.array([len(d.bag_ids) for d in docs], dtype=np.int64)
    if docs:  # every text's linked positions at once
        positions = np.concatenate([d.positions for d in docs])
        rows = np.repeat(np.arange(len(docs)), [len(d.positions) for d in docs])
        keep = positions < length
        slot_ids = np.concatenate([d.slots.reshape(-1, slots) for d in docs])
        concepts[rows[keep] * length + positions[keep]] = slot_ids[keep]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if docs else sizes
    ids = np.concatenate([d.bag_ids for d in docs]) if docs else np.zeros(0, np.int64)
    weights = np.concatenate([d.bag_weights for d in docs]) if docs else np.zeros(0, np.float32)
    return ChannelBatch(torch.from_numpy(concepts).view(len(docs), length, slots), torch.from_numpy(ids),
                        torch.from_numpy(offsets.astype(np.int64)), torch.from_numpy(weights))
