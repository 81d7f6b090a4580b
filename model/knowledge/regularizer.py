"""The knowledge regularizer: anchor linked tokens to the graph, retrofitting-style.

For linked tokens ``k = 1..K`` with embedding rows ``E_k``, targets ``T_k``
(the projected mean of their entities' vectors) and graph-neighbour token
pairs ``(i, j)``, ``n = 1..N``, in ``d`` dimensions::

    R = 1/(K d) * sum_k ||E_k - T_k||^2  +  beta * 1/(N d) * sum_(i,j) ||E_i - E_j||^2

The first term keeps token embeddings near their entities (the anchor of
Faruqui et al.'s retrofitting); the second pulls tokens whose entities are
joined in the graph toward each other. The training loss adds
``reg_weight * R``. Gradient with respect to ``E_k``::

    2/(K d) (E_k - T_k) + beta * 2/(N d) * sum over pairs containing k of (E_k - E_other)

Targets are not detached: with a learned projection or ``--joint`` they move
too, which is how the entity side adapts.
"""

from __future__ import annotations

import torch

from model.knowledge.alignment import Alignment


def knowledge_penalty(
    token_weight: torch.Tensor,
    alignment: Alignment,
    targets: torch.Tensor,
    neighbour_weight: float = 1.0,
) -> torch.Tensor:
    """The regularizer ``R`` above.

    Args:
        token_weight (Tensor): ``[V, d]`` token embedding matrix.
        alignment (Alignment): Linked tokens and neighbour pairs (on the same device).
        targets (Tensor): ``[K, d]`` targets of ``alignment.token_ids``.
        neighbour_weight (float): ``beta``. (default: ``1.0``)

    Returns:
        Tensor: Scalar penalty (0 when no token is linked).
    """
    if alignment.num_tokens == 0:
        return token_weight.sum() * 0.0
    rows = token_weight.index_select(0, alignment.token_ids)
    penalty = (rows - targets).pow(2).mean()
    if neighbour_weight and alignment.neighbours.numel():
        i, j = alignment.neighbours
        penalty = penalty + neighbour_weight * (rows.index_select(0, i) - rows.index_select(0, j)).pow(2).mean()
    return penalty
