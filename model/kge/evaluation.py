"""Filtered link-prediction evaluation, vectorized and batched.

The standard protocol (Bordes et al., 2013): for each test triple
``(h, r, t)`` rank the true tail among all entities for the query
``(h, r, ?)`` and the true head for ``(?, r, t)``, after removing every
*other* known true triple (train, valid and test) from the candidates.

Ties: the rank is the *realistic* (expected) rank of the literature and
PyKEEN, the mean of the optimistic and the pessimistic rank::

    rank = 1 + #(candidates scoring strictly higher) + #(other candidates tied) / 2

so a model that scores everything equal gets the rank of a random guess,
never rank 1. NaN scores count as worse than everything.

A batch of queries is scored against all entities at once (one matrix
product or ``cdist``) and the filter is applied with the CSR index of
:mod:`model.kge.filtering`. A test triple with an entity never seen in
training cannot be ranked: by default it counts as a miss on both sides (the
worst rank, as published tables count it); ``seen_only`` holds the metrics
with those triples excluded instead, and ``excluded_unseen`` their number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import torch
from torch import Tensor

from model.kge.filtering import FilterIndex

logger = logging.getLogger(__name__)

HITS_AT = (1, 3, 10)


def filtered_ranks(
    scores: Tensor, targets: Tensor, known_rows: Tensor, known_cols: Tensor
) -> Tensor:
    """Realistic filtered ranks of ``targets`` in a ``[B, N]`` score matrix.

    Args:
        scores (Tensor): Scores of every candidate per query (modified in place).
        targets (Tensor): ``[B]`` true entity per query.
        known_rows (Tensor): Query row of each known true entity to filter.
        known_cols (Tensor): The known entity ids (the target itself may be among them).

    Returns:
        Tensor: ``[B]`` float ranks (1 is best).
    """
    rows = torch.arange(scores.shape[0], device=scores.device)
    true = scores[rows, targets].clone()
    scores = torch.nan_to_num(scores, nan=-float("inf"))
    scores[known_rows, known_cols] = -float("inf")
    scores[rows, targets] = -float("inf")
    true_col = true.unsqueeze(1)
    better = (scores > true_col).sum(dim=1)
    ties = (scores == true_col).sum(dim=1)
    nan_true = torch.isnan(true)
    ranks = 1.0 + better.to(torch.float64) + ties.to(torch.float64) / 2.0
    # A NaN true score ranks last.
    return torch.where(nan_true, torch.full_like(ranks, scores.shape[1]), ranks)


def rank_metrics(ranks: Tensor) -> dict:
    """``mrr``, ``hits@1/3/10``, ``mean_rank`` and ``count`` of float ranks."""
    if ranks.numel() == 0:
        return {"mrr": 0.0, **{f"hits@{k}": 0.0 for k in HITS_AT}, "mean_rank": 0.0, "count": 0}
    ranks = ranks.double()
    return {
        "mrr": float((1.0 / ranks).mean()),
        **{f"hits@{k}": float((ranks <= k).double().mean()) for k in HITS_AT},
        "mean_rank": float(ranks.mean()),
        "count": int(ranks.numel()),
    }


@dataclass
class EvalResult:
    """Filtered metrics for both sides together, plus each side.

    Args:
        metrics (dict): ``mrr``, ``hits@k``, ``mean_rank``, ``count`` over heads and tails.
        head (dict): The same over head queries only.
        tail (dict): The same over tail queries only.
        excluded_unseen (int): Triples with an entity unseen in training (counted as misses
            in ``metrics``, ``head`` and ``tail``).
        seen_only (dict): The metrics with those triples excluded. (default: ``{}``)
    """

    metrics: dict
    head: dict
    tail: dict
    excluded_unseen: int = 0
    ranks: dict = field(default_factory=dict, repr=False)
    seen_only: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready dict with ``head``/``tail``/``seen_only`` sub-dicts."""
        return {**self.metrics, "head": self.head, "tail": self.tail, "excluded_unseen": self.excluded_unseen,
                "seen_only": self.seen_only}


def seen_mask(triples: Tensor, train: Tensor, num_entities: int) -> Tensor:
    """``[n]`` bool: both entities of a triple occur in the training triples."""
    seen = torch.zeros(num_entities, dtype=torch.bool, device=triples.device)
    seen[train[:, 0].to(triples.device)] = True
    seen[train[:, 2].to(triples.device)] = True
    return seen[triples[:, 0]] & seen[triples[:, 2]]


@torch.no_grad()
def evaluate(
    model,
    triples: Tensor,
    filter_index: FilterIndex,
    batch_size: int = 256,
    train: Tensor | None = None,
    keep_ranks: bool = False,
) -> EvalResult:
    """Filtered ranks of head and tail predictions for ``triples``.

    Args:
        model (KGEScorer): Model providing ``entities``, ``relations``,
            ``score_tails`` and ``score_heads``.
        triples (Tensor): ``[n, 3]`` id triples to rank (on the model's device).
        filter_index (FilterIndex): Known true triples (on the same device).
        batch_size (int): Queries scored at once against all entities. (default: ``256``)
        train (Tensor, optional): Training triples; with it, triples with an entity
            unseen in training are excluded and counted. (default: ``None``)
        keep_ranks (bool): Keep per-triple ranks in the result. (default: ``False``)
    """
    was_training = model.training
    model.eval()
    try:
        excluded = 0
        if train is not None and triples.numel():
            mask = seen_mask(triples, train, model.num_nodes)
            excluded = int((~mask).sum())
            if excluded:
                logger.info("excluded %d triple(s) with an entity unseen in training", excluded)
            triples = triples[mask]
        model.begin_step()
        ents = model.entities(None)
        head_ranks, tail_ranks = [], []
        for batch in triples.split(batch_size):
            h_ids, r_ids, t_ids = batch[:, 0], batch[:, 1], batch[:, 2]
            r = model.relations(r_ids)
            scores = model.score_tails(ents[h_ids], r, ents)
            rows, cols = filter_index.known_tails(h_ids, r_ids)
            tail_ranks.append(filtered_ranks(scores, t_ids, rows, cols))
            scores = model.score_heads(r, ents[t_ids], ents)
            rows, cols = filter_index.known_heads(r_ids, t_ids)
            head_ranks.append(filtered_ranks(scores, h_ids, rows, cols))
        empty = torch.zeros(0, dtype=torch.float64)
        head = torch.cat(head_ranks).cpu() if head_ranks else empty
        tail = torch.cat(tail_ranks).cpu() if tail_ranks else empty
    finally:
        model.train(was_training)
    misses = torch.full((excluded,), float(model.num_nodes), dtype=torch.float64)
    return EvalResult(
        metrics=rank_metrics(torch.cat([head, tail, misses, misses])) if head.numel() else rank_metrics(empty),
        head=rank_metrics(torch.cat([head, misses])) if head.numel() else rank_metrics(empty),
        tail=rank_metrics(torch.cat([tail, misses])) if tail.numel() else rank_metrics(empty),
        excluded_unseen=excluded,
        ranks={"head": head, "tail": tail} if keep_ranks else {},
        seen_only=rank_metrics(torch.cat([head, tail])),
    )
