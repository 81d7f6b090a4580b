"""Controls that tell a knowledge lift from noise.

``--knowledge-control shuffled`` keeps everything of a knowledge run (the same
linked tokens, entity tokens, graph neighbours, projection and regularizer)
but permutes the entity vectors across entities with a seeded permutation, so
every entity gets another entity's vector. A lift that survives the shuffle
is not knowledge.
"""

from __future__ import annotations

import torch

CONTROLS = ("none", "shuffled")


def shuffled_rows(table: torch.Tensor, seed: int) -> torch.Tensor:
    """``table`` with its rows permuted by a seeded random permutation.

    Args:
        table (Tensor): ``[n, d]`` entity vectors.
        seed (int): Permutation seed.

    Returns:
        Tensor: A new tensor whose row ``i`` is ``table[perm[i]]``.
    """
    gen = torch.Generator().manual_seed(int(seed))
    perm = torch.randperm(table.shape[0], generator=gen)
    return table.index_select(0, perm.to(table.device))


@torch.no_grad()
def shuffle_kge_entities(kge: torch.nn.Module, seed: int) -> None:
    """Permute a ``model.kge`` model's entity embedding tables in place (same permutation for all).

    Args:
        kge (nn.Module): A model with ``node_emb`` (and optionally ``node_emb_im``).
        seed (int): Permutation seed.
    """
    gen = torch.Generator().manual_seed(int(seed))
    perm = torch.randperm(kge.node_emb.weight.shape[0], generator=gen)
    for name in ("node_emb", "node_emb_im"):
        emb = getattr(kge, name, None)
        if emb is not None:
            emb.weight.copy_(emb.weight[perm.to(emb.weight.device)])
