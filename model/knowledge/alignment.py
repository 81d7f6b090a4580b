"""The alignment between vocabulary tokens and graph entities, as tensors.

Built once per run from the vocabulary, the token links found by the entity
linker and the graph's edges. Every linked token gets the average of its
entities' vectors as its *target*; two linked tokens are *graph neighbours*
when one of their entities is joined to one of the other's by an edge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import torch

from model.knowledge.entity_tokens import TokenLinks

logger = logging.getLogger(__name__)


@dataclass
class Alignment:
    """Token ↔ entity alignment.

    Args:
        token_ids (Tensor): ``[K]`` vocabulary ids of the linked tokens, ascending.
        entities (Tensor): ``[U]`` rows of the full entity table used by some token.
        pair_slot (Tensor): ``[M]`` position in ``token_ids`` of each (token, entity) pair.
        pair_entity (Tensor): ``[M]`` position in ``entities`` of each pair.
        pair_weight (Tensor): ``[M]`` ``1 / (number of entities of the token)``.
        neighbours (Tensor): ``[2, N]`` slot pairs (``i < j``) of graph-neighbour tokens.
    """

    token_ids: torch.Tensor
    entities: torch.Tensor
    pair_slot: torch.Tensor
    pair_entity: torch.Tensor
    pair_weight: torch.Tensor
    neighbours: torch.Tensor

    @property
    def num_tokens(self) -> int:
        """Number of linked tokens ``K``."""
        return int(self.token_ids.numel())

    def targets(self, entity_vectors: torch.Tensor) -> torch.Tensor:
        """Each linked token's target: the mean of its entities' vectors.

        Args:
            entity_vectors (Tensor): ``[U, d]`` vectors of ``entities`` (already projected).

        Returns:
            Tensor: ``[K, d]`` targets, row ``k`` for ``token_ids[k]``.
        """
        weighted = entity_vectors.index_select(0, self.pair_entity) * self.pair_weight.unsqueeze(1)
        out = torch.zeros(self.num_tokens, entity_vectors.shape[1], dtype=weighted.dtype, device=weighted.device)
        return out.index_add_(0, self.pair_slot, weighted)

    def to_state(self) -> dict[str, torch.Tensor]:
        """The tensors by name (for buffers and checkpoints)."""
        return {
            "token_ids": self.token_ids,
            "entities": self.entities,
            "pair_slot": self.pair_slot,
            "pair_entity": self.pair_entity,
            "pair_weight": self.pair_weight,
            "neighbours": self.neighbours,
        }


def build_alignment(
    itos: Sequence[str],
    links: TokenLinks,
    entity_index: Mapping[str, int],
    edges: np.ndarray | None = None,
    max_entities_per_token: int | None = None,
) -> Alignment:
    """Align vocabulary tokens with entity rows.

    Args:
        itos (Sequence[str]): The vocabulary, id → token.
        links (TokenLinks): Which entities each token stands for.
        entity_index (Mapping[str, int]): Entity IRI → row in the entity table
            (entities missing from it, e.g. never embedded, are skipped).
        edges (np.ndarray, optional): ``[n, 2]`` (head row, tail row) pairs of
            the graph; ``None`` gives no neighbour pairs. (default: ``None``)
        max_entities_per_token (int, optional): Keep only the first entities
            (sorted by IRI) of very ambiguous tokens. (default: ``None``, all)

    Returns:
        Alignment: The tensors (empty when nothing is linked).
    """
    token_ids: list[int] = []
    token_entities: list[list[int]] = []
    for tid, tok in enumerate(itos):
        rows = [entity_index[e] for e in links.entities_of(tok) if e in entity_index]
        if max_entities_per_token is not None:
            rows = rows[:max_entities_per_token]
        if rows:
            token_ids.append(tid)
            token_entities.append(rows)
    used = sorted({r for rows in token_entities for r in rows})
    local = {r: i for i, r in enumerate(used)}
    pair_slot, pair_entity, pair_weight = [], [], []
    slots_of_entity: dict[int, list[int]] = {}
    for slot, rows in enumerate(token_entities):
        for r in rows:
            pair_slot.append(slot)
            pair_entity.append(local[r])
            pair_weight.append(1.0 / len(rows))
            slots_of_entity.setdefault(r, []).append(slot)
    neighbour_pairs = _neighbour_slots(slots_of_entity, edges)
    logger.info(
        "aligned %d tokens with %d entities (%d neighbour pairs)", len(token_ids), len(used), len(neighbour_pairs)
    )
    nb = torch.tensor(sorted(neighbour_pairs), dtype=torch.long).reshape(-1, 2).T.contiguous()
    return Alignment(
        token_ids=torch.tensor(token_ids, dtype=torch.long),
        entities=torch.tensor(used, dtype=torch.long),
        pair_slot=torch.tensor(pair_slot, dtype=torch.long),
        pair_entity=torch.tensor(pair_entity, dtype=torch.long),
        pair_weight=torch.tensor(pair_weight, dtype=torch.float32),
        neighbours=nb,
    )


def _neighbour_slots(slots_of_entity: dict[int, list[int]], edges: np.ndarray | None) -> set[tuple[int, int]]:
    """Slot pairs ``(i, j)``, ``i < j``, whose entities share an edge."""
    pairs: set[tuple[int, int]] = set()
    if edges is None or len(edges) == 0 or not slots_of_entity:
        return pairs
    edges = np.asarray(edges, dtype=np.int64)
    linked = np.fromiter(slots_of_entity.keys(), dtype=np.int64)
    keep = np.isin(edges[:, 0], linked) & np.isin(edges[:, 1], linked)
    for h, t in edges[keep]:
        for a in slots_of_entity[int(h)]:
            for b in slots_of_entity[int(t)]:
                if a != b:
                    pairs.add((a, b) if a < b else (b, a))
    return pairs


def edges_from_iris(pairs: Iterable[tuple[str, str]], entity_index: Mapping[str, int]) -> np.ndarray:
    """``[n, 2]`` row pairs from ``(head IRI, tail IRI)`` pairs known to ``entity_index``."""
    rows = [(entity_index[h], entity_index[t]) for h, t in pairs if h in entity_index and t in entity_index]
    return np.asarray(rows, dtype=np.int64).reshape(-1, 2)
