"""Negative sampling, training losses and embedding regularizers.

* Negatives: each positive gets ``K`` corruptions; each corruption replaces
  the head or the tail (a fair coin per negative), drawn uniformly from all
  entities in one ``randint`` call per batch.
* Losses on positive scores ``[B]`` and negative scores ``[B, K]``:

  - ``margin``: ``mean(relu(margin - pos + neg))`` (TransE paper, PyG default);
  - ``softplus``: logistic loss ``softplus(-pos) + mean_k softplus(neg_k)``;
  - ``adversarial``: self-adversarial negative sampling (Sun et al., RotatE,
    2019): ``-log sigma(pos) - sum_k p_k log sigma(-neg_k)`` with
    ``p = softmax(alpha * neg)`` detached (``alpha`` is the temperature);
  - ``1vsall``: cross-entropy of the true entity against all entities, head
    and tail side (no sampling; best for DistMult/ComplEx on small graphs).

  For the logistic losses, scores are shifted by the model's ``logit_offset``
  (the margin ``gamma`` of distance models: logit = gamma - distance).
* Regularizers on the embedding rows a batch used: ``l2`` (mean squared
  value) and ``n3`` (weighted nuclear 3-norm, Lacroix et al., 2018).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core.errors import ConfigError

LOSSES = ("margin", "softplus", "adversarial", "1vsall")
REGULARIZERS = ("none", "l2", "n3")


def sample_negatives(
    heads: Tensor, tails: Tensor, num_entities: int, k: int, generator: torch.Generator | None = None,
    pools=None, rels: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """``K`` corruptions per positive (head or tail, even odds): ``[B, K]`` head ids and tail ids.

    Args:
        heads (Tensor): ``[B]`` head ids.
        tails (Tensor): ``[B]`` tail ids.
        num_entities (int): Entities to draw from.
        k (int): Negatives per positive.
        generator (torch.Generator, optional): RNG (on the same device). (default: ``None``)
        pools (RelationPools, optional): Draw part of the replacements from each relation's
            heads/tails (:mod:`model.kge.negatives`); needs ``rels``. (default: ``None``)
        rels (Tensor, optional): ``[B]`` relation ids, for ``pools``. (default: ``None``)
    """
    batch = heads.numel()
    random_ids = torch.randint(num_entities, (batch, k), device=heads.device, generator=generator)
    corrupt_head = torch.randint(2, (batch, k), device=heads.device, generator=generator).bool()
    if pools is not None:
        random_ids = pools.replace(random_ids, rels, corrupt_head, generator)
    neg_heads = torch.where(corrupt_head, random_ids, heads.unsqueeze(1))
    neg_tails = torch.where(corrupt_head, tails.unsqueeze(1), random_ids)
    return neg_heads, neg_tails


def sampled_loss(
    pos: Tensor, neg: Tensor, kind: str, margin: float = 1.0, temperature: float = 1.0, offset: float = 0.0
) -> Tensor:
    """Loss of positive scores ``[B]`` against negative scores ``[B, K]``.

    Args:
        pos (Tensor): Positive scores.
        neg (Tensor): Negative scores.
        kind (str): ``margin``, ``softplus`` or ``adversarial``.
        margin (float): Margin of ``margin``. (default: ``1.0``)
        temperature (float): Self-adversarial temperature alpha. (default: ``1.0``)
        offset (float): Added to scores before logistic losses. (default: ``0.0``)

    Raises:
        ConfigError: Unknown ``kind``.
    """
    if kind == "margin":
        return F.relu(margin - pos.unsqueeze(1) + neg).mean()
    if kind == "softplus":
        return (F.softplus(-(pos + offset)).mean() + F.softplus(neg + offset).mean()) / 2
    if kind == "adversarial":
        weights = torch.softmax(temperature * (neg + offset), dim=1).detach()
        pos_term = F.logsigmoid(pos + offset).mean()
        neg_term = (weights * F.logsigmoid(-(neg + offset))).sum(dim=1).mean()
        return -(pos_term + neg_term) / 2
    raise ConfigError(f"unknown sampled loss {kind!r}", hint=f"choose one of {', '.join(LOSSES)}")


def regularization(tensors: list[Tensor], kind: str, weight: float) -> Tensor | float:
    """L2 or N3 penalty on the embedding rows a batch used.

    Args:
        tensors (list[Tensor]): Embedding rows.
        kind (str): ``none``, ``l2`` or ``n3``.
        weight (float): Coefficient.

    Raises:
        ConfigError: Unknown ``kind``.
    """
    if kind == "none" or weight == 0:
        return 0.0
    if kind == "l2":
        return weight * sum(t.pow(2).mean() for t in tensors)
    if kind == "n3":
        return weight * sum(t.abs().pow(3).sum() / t.shape[0] for t in tensors)
    raise ConfigError(f"unknown regularizer {kind!r}", hint=f"choose one of {', '.join(REGULARIZERS)}")


def batch_loss(model, batch: Tensor, cfg, num_entities: int, generator: torch.Generator | None = None,
               pools=None) -> Tensor:
    """The full training loss of one ``[B, 3]`` batch of id triples.

    Args:
        model (KGEScorer): The model.
        batch (Tensor): ``(head, relation, tail)`` ids.
        cfg (KgeConfig): ``loss``, ``num_negatives``, ``margin``,
            ``adversarial_temperature``, ``regularizer``, ``reg_weight``.
        num_entities (int): Entities to sample negatives from.
        generator (torch.Generator, optional): RNG for negatives. (default: ``None``)
        pools (RelationPools, optional): Draw part of the negatives from each relation's
            heads/tails (:mod:`model.kge.negatives`); uniform when ``None``. (default: ``None``)
    """
    model.begin_step()
    heads, rels, tails = batch[:, 0], batch[:, 1], batch[:, 2]
    r = model.relations(rels)
    if cfg.loss == "1vsall":
        ents = model.entities(None)
        h, t = ents[heads], ents[tails]
        loss = (F.cross_entropy(model.score_tails(h, r, ents), tails)
                + F.cross_entropy(model.score_heads(r, t, ents), heads)) / 2
        touched = torch.cat([heads, tails])
    else:
        neg_h, neg_t = sample_negatives(heads, tails, num_entities, cfg.num_negatives, generator, pools, rels)
        ids = torch.cat([heads, tails, neg_h.flatten(), neg_t.flatten()])
        if ids.numel() > num_entities:  # many repeats: transform each entity once
            uniq, inverse = torch.unique(ids, return_inverse=True)
            emb = model.entities(uniq)[inverse]
        else:
            emb = model.entities(ids)
        b, k = heads.numel(), cfg.num_negatives
        # One split (its backward is one concatenation; four slices would each zero-fill a full-size gradient).
        h, t, nh, nt = emb.split([b, b, b * k, b * k])
        nh, nt = nh.view(b, k, -1), nt.view(b, k, -1)
        pos = model.score(h, r, t)
        neg = model.score(nh, r.unsqueeze(1), nt)
        loss = sampled_loss(pos, neg, cfg.loss, cfg.margin, cfg.adversarial_temperature, model.logit_offset)
        touched = torch.cat([heads, tails])
    if cfg.regularizer != "none" and cfg.reg_weight:
        loss = loss + regularization(model.embedding_tensors(touched, rels), cfg.regularizer, cfg.reg_weight)
    return loss


class BatchLoss(nn.Module):
    """:func:`batch_loss` as a module, so ``DistributedDataParallel`` can wrap the training step.

    Args:
        model (KGEScorer): The model (its parameters are this module's).
        cfg (KgeConfig): The loss settings.
        num_entities (int): Entities to sample negatives from.
        pools (RelationPools, optional): Typed negatives (see :func:`batch_loss`). (default: ``None``)
    """

    def __init__(self, model, cfg, num_entities: int, pools=None) -> None:
        super().__init__()
        self.model = model
        self.cfg = cfg
        self.num_entities = num_entities
        self.pools = pools

    def forward(self, batch: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """The loss of one ``[B, 3]`` batch, negatives drawn with ``generator``."""
        return batch_loss(self.model, batch, self.cfg, self.num_entities, generator, self.pools)
