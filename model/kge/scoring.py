"""Shallow KGE models: ``torch_geometric.nn.kge`` models with batched scoring.

PyG's TransE, DistMult, ComplEx and RotatE hold the parameters and define the
score of one triple. kgft needs more for real use: scoring every positive
against ``K`` negatives at once, scoring a batch of queries against *all*
entities (for filtered evaluation and 1-vs-all training), and entity vectors
to export. Each class below subclasses the PyG model (same parameters, same
initialization, same score as PyG's ``forward``; TransE keeps its entities on the
unit L2 sphere, as the paper does) and adds:

* ``entities(idx)`` / ``relations(idx)``: representations as one tensor
  (complex models concatenate ``real | imag`` on the last dimension);
* ``score(h, r, t)``: the score on representations, broadcasting;
* ``score_tails(h, r, E)`` / ``score_heads(r, t, E)``: ``[B, N]`` scores of
  queries against the matrix ``E`` of all entities, as one matrix product
  (or ``cdist`` for distance models).

Higher scores mean more plausible triples.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor

from model.kge.normalize import unit_rows

with warnings.catch_warnings():
    # torch_geometric's import uses torch.jit.script, deprecated in recent torch.
    warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*", category=FutureWarning)
    from torch_geometric.nn import kge as pyg_kge


class KGEScorer:
    """Mixin: the batched scoring interface every kgft KGE model provides.

    Attributes:
        logit_offset (float): Added to scores before a logistic loss (the margin
            ``gamma`` of distance models, so that ``gamma - d`` is the logit).
        complex_valued (bool): Entity vectors are ``real | imag`` concatenated.
    """

    logit_offset: float = 0.0
    complex_valued: bool = False

    def begin_step(self) -> None:
        """Prepare shared computation for one optimization step (no-op for shallow models)."""

    def entities(self, idx: Tensor | None = None) -> Tensor:
        """Entity representations for ``idx`` (all entities when ``None``)."""
        return self.node_emb.weight if idx is None else self.node_emb(idx)

    def relations(self, idx: Tensor) -> Tensor:
        """Relation representations for ``idx``."""
        return self.rel_emb(idx)

    def entity_matrix(self) -> Tensor:
        """All entity vectors for export, ``[N, D]`` (``[N, 2D]`` for complex models)."""
        return self.entities(None)

    def relation_matrix(self) -> Tensor:
        """All relation vectors for export."""
        return self.relations(torch.arange(self.num_relations, device=self.rel_emb.weight.device))

    def embedding_tensors(self, ent_idx: Tensor, rel_idx: Tensor) -> list[Tensor]:
        """The raw parameter rows a batch touched (for L2/N3 regularization)."""
        return [self.entities(ent_idx), self.relations(rel_idx)]

    def score(self, h: Tensor, r: Tensor, t: Tensor) -> Tensor:  # pragma: no cover - abstract
        """Score representations, broadcasting over leading dimensions."""
        raise NotImplementedError

    def score_tails(self, h: Tensor, r: Tensor, ents: Tensor) -> Tensor:  # pragma: no cover
        """``[B, N]`` scores of ``(h_b, r_b, e_n)`` for all ``n``."""
        raise NotImplementedError

    def score_heads(self, r: Tensor, t: Tensor, ents: Tensor) -> Tensor:  # pragma: no cover
        """``[B, N]`` scores of ``(e_n, r_b, t_b)`` for all ``n``."""
        raise NotImplementedError


def _split(x: Tensor) -> tuple[Tensor, Tensor]:
    return x.chunk(2, dim=-1)


class TransE(KGEScorer, pyg_kge.TransE):
    """TransE (Bordes et al., 2013): ``-||h + r - t||_p`` with entities on the unit L2 sphere.

    As in the paper, entity vectors have unit L2 norm whatever the distance's
    ``p`` (PyG's model normalizes them by the ``p``-norm: with ``p = 1`` every
    coordinate shrinks to about ``1/dim`` while the relation vectors keep
    Adam-sized steps, and training all but stalls; see BENCHMARKS.md). The stored
    entity and relation rows also start at unit L2 norm, so an optimizer step
    moves an entity's direction as much as a relation's.

    Args:
        num_nodes (int): Entities.
        num_relations (int): Relations.
        hidden_channels (int): Dimension.
        margin (float): Ranking margin, also the logit offset. (default: ``1.0``)
        p_norm (float): The distance's norm, 1 or 2. (default: ``1.0``)
        sparse (bool): Sparse gradients. (default: ``False``)
    """

    def __init__(self, num_nodes, num_relations, hidden_channels, margin=1.0, p_norm=1.0, sparse=False):
        super().__init__(num_nodes, num_relations, hidden_channels, margin=margin, p_norm=p_norm, sparse=sparse)
        self.logit_offset = float(margin)

    def reset_parameters(self):
        super().reset_parameters()
        with torch.no_grad():
            for table in (self.node_emb.weight, self.rel_emb.weight):
                table.copy_(unit_rows(table))

    def entities(self, idx: Tensor | None = None) -> Tensor:
        return unit_rows(super().entities(idx))

    def forward(self, head_index: Tensor, rel_type: Tensor, tail_index: Tensor) -> Tensor:
        return self.score(self.entities(head_index), self.relations(rel_type), self.entities(tail_index))

    def embedding_tensors(self, ent_idx, rel_idx):
        return [self.node_emb(ent_idx), self.rel_emb(rel_idx)]

    def score(self, h, r, t):
        return -(h + r - t).norm(p=self.p_norm, dim=-1)

    def score_tails(self, h, r, ents):
        return -torch.cdist(h + r, ents, p=self.p_norm)

    def score_heads(self, r, t, ents):
        return -torch.cdist(t - r, ents, p=self.p_norm)


class DistMultScoring(KGEScorer):
    """Mixin: the DistMult trilinear score ``<h, r, t>`` (shared with the R-GCN decoder)."""

    def score(self, h, r, t):
        return (h * r * t).sum(dim=-1)

    def score_tails(self, h, r, ents):
        return (h * r) @ ents.T

    def score_heads(self, r, t, ents):
        return (r * t) @ ents.T


class DistMult(DistMultScoring, pyg_kge.DistMult):
    """DistMult: ``<h, r, t>`` (PyG's model)."""


class ComplEx(KGEScorer, pyg_kge.ComplEx):
    """ComplEx: ``Re(<h, r, conj(t)>)`` (PyG's model); vectors are ``real | imag``."""

    complex_valued = True

    def entities(self, idx=None):
        if idx is None:
            return torch.cat([self.node_emb.weight, self.node_emb_im.weight], dim=-1)
        return torch.cat([self.node_emb(idx), self.node_emb_im(idx)], dim=-1)

    def relations(self, idx):
        return torch.cat([self.rel_emb(idx), self.rel_emb_im(idx)], dim=-1)

    @staticmethod
    def _hr(h, r):
        h_re, h_im = _split(h)
        r_re, r_im = _split(r)
        return torch.cat([h_re * r_re - h_im * r_im, h_re * r_im + h_im * r_re], dim=-1)

    @staticmethod
    def _rt(r, t):
        r_re, r_im = _split(r)
        t_re, t_im = _split(t)
        return torch.cat([r_re * t_re + r_im * t_im, r_re * t_im - r_im * t_re], dim=-1)

    def score(self, h, r, t):
        return (self._hr(h, r) * t).sum(dim=-1)

    def score_tails(self, h, r, ents):
        return self._hr(h, r) @ ents.T

    def score_heads(self, r, t, ents):
        return self._rt(r, t) @ ents.T


class RotatE(KGEScorer, pyg_kge.RotatE):
    """RotatE: ``margin - ||h o r - t||`` with ``r = exp(i theta)`` (PyG's model and norm).

    PyG's RotatE takes the Euclidean norm over all real and imaginary parts
    (the paper sums per-dimension moduli); kgft keeps PyG's score, which also
    lets all-entity scoring use a matrix product.
    """

    complex_valued = True

    def __init__(self, num_nodes, num_relations, hidden_channels, margin=1.0, sparse=False):
        super().__init__(num_nodes, num_relations, hidden_channels, margin=margin, sparse=sparse)

    def entities(self, idx=None):
        if idx is None:
            return torch.cat([self.node_emb.weight, self.node_emb_im.weight], dim=-1)
        return torch.cat([self.node_emb(idx), self.node_emb_im(idx)], dim=-1)

    def relations(self, idx):
        return self.rel_emb(idx)

    @staticmethod
    def _rotate(x, theta, conj=False):
        x_re, x_im = _split(x)
        c, s = torch.cos(theta), torch.sin(theta)
        if conj:
            s = -s
        return torch.cat([x_re * c - x_im * s, x_re * s + x_im * c], dim=-1)

    def score(self, h, r, t):
        return self.margin - (self._rotate(h, r) - t).norm(p=2, dim=-1)

    def score_tails(self, h, r, ents):
        return self.margin - torch.cdist(self._rotate(h, r), ents, p=2)

    def score_heads(self, r, t, ents):
        return self.margin - torch.cdist(self._rotate(t, r, conj=True), ents, p=2)
