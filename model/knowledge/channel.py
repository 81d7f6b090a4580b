"""The knowledge channel: concept vectors beside the words, a bag of ancestors beside the head.

Part of the classifier (so a trained model needs nothing but its weights):

* **concept vectors** ``c = P z + r``: ``z`` the graph's entity vector (a fixed
  buffer, from the torch-geometric KGE run), ``P`` a learned projection
  (initialized orthogonal and scaled, :class:`~model.knowledge.projection.EntityProjection`),
  ``r`` a trainable residual that starts at zero. The residual is what training
  may move away from the graph, and :meth:`KnowledgeChannel.penalty` pulls it
  back: each concept starts at its graph vector and is regularized toward it.
  Only concepts the training texts hold can move, so the residual table has a
  row for each of those alone (``residual_rows``; the others read row 0, zero):
  the optimizer then updates a few thousand rows per step, not the whole graph.
* **per token**: the mean of the token's concept vectors is concatenated to its
  word embedding before the BiLSTM;
* **per text**: a linear map of the bag of ancestors (``log(1 + count)``) is
  added to the class logits. With a label alignment its weights start at the
  graph's vote: weight ``vote`` from each class's concept to that class.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from model.knowledge.channel_inputs import ChannelBatch
from model.knowledge.projection import EntityProjection


@dataclass(frozen=True)
class ChannelConfig:
    """Shape of a :class:`KnowledgeChannel`.

    Args:
        num_concepts (int): Concept ids, padding (0) included.
        entity_dim (int): Dimension of the graph's entity vectors.
        concept_dim (int): Dimension of the concept vectors given to the BiLSTM.
        bag_features (int): Bag-of-ancestors features.
        slots (int): Concept ids per token.
        residual_rows (int): Rows of the residual table, padding included: one per concept
            of the training texts (:meth:`KnowledgeChannel.set_trained_concepts`); 0 gives
            every concept a row. (default: ``0``)
    """

    num_concepts: int
    entity_dim: int
    concept_dim: int
    bag_features: int
    slots: int
    residual_rows: int = 0

    def to_dict(self) -> dict:
        """Plain dict form (part of the classifier's configuration)."""
        return asdict(self)


class KnowledgeChannel(nn.Module):
    """Concept vectors per token and bag-of-ancestors logits.

    Args:
        config (ChannelConfig): Shapes.
        num_classes (int): Classes of the head.
        entity_vectors (Tensor, optional): ``[num_concepts, entity_dim]`` graph vectors (row 0
            padding); ``None`` leaves zeros, to be filled by ``load_state_dict``. (default: ``None``)
        seed (int): Seed of the projection's orthogonal matrix. (default: ``0``)
    """

    def __init__(self, config: ChannelConfig, num_classes: int, entity_vectors: torch.Tensor | None = None,
                 seed: int = 0) -> None:
        super().__init__()
        self.config = config
        z = torch.zeros(config.num_concepts, config.entity_dim)
        if entity_vectors is not None:
            z = entity_vectors.float().clone()
            z[0] = 0
        self.register_buffer("entity_vectors", z)
        self.projection = EntityProjection(config.entity_dim, config.concept_dim, "learned", seed=seed,
                                           reference=z[1:] if entity_vectors is not None else None)
        self.residual = nn.Embedding(config.residual_rows or config.num_concepts, config.concept_dim, padding_idx=0)
        nn.init.zeros_(self.residual.weight)
        rows = torch.zeros(config.num_concepts, dtype=torch.long) if config.residual_rows else \
            torch.arange(config.num_concepts)
        self.register_buffer("residual_row", rows, persistent=bool(config.residual_rows))
        self.bag = nn.EmbeddingBag(max(config.bag_features, 1), num_classes, mode="sum")
        nn.init.zeros_(self.bag.weight)

    @torch.no_grad()
    def set_vote(self, feature_of_class: dict[int, int], weight: float) -> None:
        """Start the bag weights at the graph's vote.

        Args:
            feature_of_class (dict[int, int]): Class id → the bag feature of its concept.
            weight (float): Weight from that feature to its class.
        """
        for cls, feature in feature_of_class.items():
            self.bag.weight[feature, cls] = weight

    @torch.no_grad()
    def set_trained_concepts(self, concepts: torch.Tensor) -> None:
        """Give each concept the training texts hold its residual row (the others keep row 0).

        Args:
            concepts (Tensor): ``[residual_rows - 1]`` distinct non-zero concept ids.

        Raises:
            ValueError: their number does not match the configured ``residual_rows``.
        """
        if not self.config.residual_rows or len(concepts) != self.config.residual_rows - 1:
            raise ValueError(f"{len(concepts)} trained concepts for a channel with "
                             f"{self.config.residual_rows} residual rows")
        self.residual_row.zero_()
        self.residual_row[concepts.to(self.residual_row.device)] = torch.arange(
            1, len(concepts) + 1, device=self.residual_row.device)

    def concept_vectors(self, ids: torch.Tensor) -> torch.Tensor:
        """``P z + r`` of concept ``ids`` (any shape; padding gives zeros)."""
        vectors = self.projection(self.entity_vectors[ids]) + self.residual(self.residual_row[ids])
        return vectors * (ids != 0).unsqueeze(-1).to(vectors.dtype)

    def token_vectors(self, concepts: torch.Tensor) -> torch.Tensor:
        """``[B, T, concept_dim]``: mean concept vector of each token (zeros where none).

        Only the positions that carry concepts are computed. The projection is linear, so the mean
        of a token's ``P z + r`` is ``P`` times the mean of its graph vectors (fixed, no gradient)
        plus the mean of its residuals: one projection per token, not per concept.
        """
        batch, steps, _ = concepts.shape
        at, ids = _linked(concepts)
        counts = (ids != 0).sum(1, keepdim=True).to(self.entity_vectors.dtype)  # >= 1 at a linked position
        graph = nn.functional.embedding_bag(ids, self.entity_vectors, mode="sum")  # row 0, padding, is zeros
        rows = self.residual_row[ids]
        own = (rows != 0).unsqueeze(-1).to(self.residual.weight.dtype)  # row 0 (padding, or no row) stays zeros
        residual = self.residual.weight.index_select(0, rows.reshape(-1)).view(*rows.shape, self.config.concept_dim)
        residual = (residual * own).sum(1)
        means = (self.projection(graph) + residual) / counts
        out = means.new_zeros(batch * steps, means.shape[1]).index_copy(0, at, means)
        return out.view(batch, steps, -1)

    def bag_logits(self, batch: ChannelBatch) -> torch.Tensor:
        """``[B, classes]`` logits of the bag of ancestors."""
        return self.bag(batch.bag_ids, batch.bag_offsets, per_sample_weights=batch.bag_weights)

    def penalty(self, concepts: torch.Tensor) -> torch.Tensor:
        """Mean squared residual norm of the concepts in ``concepts`` (their distance from the graph)."""
        used = torch.zeros(self.residual.num_embeddings, dtype=torch.bool, device=concepts.device)
        used[self.residual_row[_linked(concepts)[1].reshape(-1)]] = True
        rows = used[1:].nonzero().squeeze(1) + 1
        if rows.numel() == 0:
            return self.residual.weight.sum() * 0.0
        return self.residual(rows).pow(2).sum(-1).mean()


def _linked(concepts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat positions ``[N]`` of the tokens of ``concepts`` (``[B, T, slots]``) that carry any, and
    their ``[N, slots]`` ids."""
    flat = concepts.reshape(-1, concepts.shape[-1])
    at = (flat != 0).any(1).nonzero().squeeze(1)
    return at, flat[at]
