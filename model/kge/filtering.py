"""The index of known true triples used by the filtered ranking protocol.

For tail queries ``(h, r, ?)`` the index maps the key ``h * R + r`` to every
known tail; for head queries ``(?, r, t)`` it maps ``t * R + r`` to every
known head. Both are stored CSR-style (sorted keys, one flat value array) so
that a whole batch of queries gathers its filtered entities with one
``searchsorted`` and a few vectorized ops, on CPU or GPU.
"""

from __future__ import annotations

import torch
from torch import Tensor


class _CSR:
    def __init__(self, keys: Tensor, values: Tensor) -> None:
        order = torch.argsort(keys * (values.max().item() + 1 if values.numel() else 1) + values)
        self.keys = keys[order].contiguous()
        self.values = values[order].contiguous()

    def to(self, device) -> "_CSR":
        out = _CSR.__new__(_CSR)
        out.keys = self.keys.to(device)
        out.values = self.values.to(device)
        return out

    def lookup(self, query_keys: Tensor) -> tuple[Tensor, Tensor]:
        """``(rows, values)``: for every query ``b``, each known value ``v`` gives a pair ``(b, v)``."""
        start = torch.searchsorted(self.keys, query_keys, side="left")
        end = torch.searchsorted(self.keys, query_keys, side="right")
        lengths = end - start
        total = int(lengths.sum())
        rows = torch.repeat_interleave(torch.arange(query_keys.numel(), device=query_keys.device), lengths)
        if total == 0:
            return rows, rows
        first = torch.repeat_interleave(start - (torch.cumsum(lengths, 0) - lengths), lengths)
        positions = first + torch.arange(total, device=query_keys.device)
        return rows, self.values[positions]


class FilterIndex:
    """Known true triples for filtered ranking.

    Args:
        triples (Tensor): ``[n, 3]`` id triples (usually train + valid + test).
        num_relations (int): Relations (to build keys).
    """

    def __init__(self, triples: Tensor, num_relations: int) -> None:
        triples = torch.as_tensor(triples, dtype=torch.long)
        self.num_relations = int(num_relations)
        h, r, t = triples[:, 0], triples[:, 1], triples[:, 2]
        self.tails = _CSR(h * self.num_relations + r, t)
        self.heads = _CSR(t * self.num_relations + r, h)

    def to(self, device) -> "FilterIndex":
        """A copy on ``device``."""
        out = FilterIndex.__new__(FilterIndex)
        out.num_relations = self.num_relations
        out.tails = self.tails.to(device)
        out.heads = self.heads.to(device)
        return out

    def known_tails(self, heads: Tensor, rels: Tensor) -> tuple[Tensor, Tensor]:
        """``(rows, tail ids)`` of every known ``(heads[b], rels[b], ?)``."""
        return self.tails.lookup(heads * self.num_relations + rels)

    def known_heads(self, rels: Tensor, tails: Tensor) -> tuple[Tensor, Tensor]:
        """``(rows, head ids)`` of every known ``(?, rels[b], tails[b])``."""
        return self.heads.lookup(tails * self.num_relations + rels)
