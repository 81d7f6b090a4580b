"""Type-constrained negative sampling: corrupt with entities the relation has seen.

Uniform corruption almost never contrasts a triple with its *plausible*
alternatives. In the opinion lexicon every word has ``polarity Positive`` or
``polarity Negative``: a uniformly drawn replacement tail is ``Negative`` with
probability 1/47,910, so TransE learns "a word's polarity is a polarity
concept" but not which one (the two polarity vectors stay close, and a
word's nearest lexicon neighbour often has the other polarity). Drawing part of the replacements from the
heads (or tails) the relation has in training, as in type-constrained
sampling (Krompaß, Baier and Tresp, ISWC 2015), makes ``Negative`` the usual
contrast of ``Positive`` there.
"""

from __future__ import annotations

import torch
from torch import Tensor


class RelationPools:
    """Per relation, the distinct heads and tails of the training triples (CSR layout).

    Args:
        triples (Tensor): ``[n, 3]`` training ``(head, relation, tail)`` ids.
        num_entities (int): Entities.
        num_relations (int): Relations.
        share (float): Share of replacements drawn from the relation's pool; the
            rest are uniform over all entities. (default: ``0.5``)
    """

    def __init__(self, triples: Tensor, num_entities: int, num_relations: int, share: float = 0.5) -> None:
        self.num_entities = int(num_entities)
        self.share = float(share)
        rels = triples[:, 1].long()
        # Side 0: each relation's heads, side 1: its tails, in one flat array.
        head_flat, head_offsets, head_counts = self._pool(rels, triples[:, 0].long(), num_relations)
        tail_flat, tail_offsets, tail_counts = self._pool(rels, triples[:, 2].long(), num_relations)
        self.flat = torch.cat([head_flat, tail_flat])
        self.offsets = torch.stack([head_offsets, tail_offsets + head_flat.numel()])
        self.counts = torch.stack([head_counts, tail_counts])

    def _pool(self, rels: Tensor, ents: Tensor, num_relations: int) -> tuple[Tensor, Tensor, Tensor]:
        keys = torch.unique(rels * self.num_entities + ents)  # sorted: by relation, then entity
        counts = torch.bincount(keys // self.num_entities, minlength=num_relations)
        return keys % self.num_entities, torch.cumsum(counts, 0) - counts, counts

    def replace(self, uniform: Tensor, rels: Tensor, corrupt_head: Tensor,
                generator: torch.Generator | None = None) -> Tensor:
        """Swap a ``share`` of uniform replacement ids for ones from the corrupted side's pool.

        Args:
            uniform (Tensor): ``[B, K]`` uniformly drawn replacement entities.
            rels (Tensor): ``[B]`` relation ids (each seen in training).
            corrupt_head (Tensor): ``[B, K]`` whether each negative replaces the head.
            generator (torch.Generator, optional): RNG on the same device. (default: ``None``)

        Returns:
            Tensor: ``[B, K]`` replacement entities.
        """
        side = (~corrupt_head).long()
        rel = rels.unsqueeze(1)
        count = self.counts[side, rel]
        u = torch.rand(uniform.shape, device=uniform.device, generator=generator)
        pooled = self.flat[self.offsets[side, rel] + (u * count).long().clamp_max(count - 1)]
        from_pool = torch.rand(uniform.shape, device=uniform.device, generator=generator) < self.share
        return torch.where(from_pool, pooled, uniform)
