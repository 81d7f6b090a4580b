"""Joint fine-tuning: the KGE loss on the graph next to the classification loss.

With ``--joint`` the entity embeddings are not a fixed input: the KGE model
(a ``model.kge`` scorer rebuilt from the embedding run, with its trained
weights) is part of the classifier's module, its entity vectors feed the
regularizer's targets, and each training step adds the KGE model's own
training loss (:func:`model.kge.batch_loss`, with the embedding run's loss,
negatives and margin) on a random batch of graph triples. The entity vectors
thus adapt to the task while staying a good graph embedding.
"""

from __future__ import annotations

import torch
from torch import nn


class JointKGELoss(nn.Module):
    """The KGE training loss over the graph's triples, one random batch per call.

    Args:
        kge (nn.Module): A ``model.kge`` scorer (``entities``, ``score``, ``relations``...).
        kge_config: Its :class:`model.kge.KgeConfig` (loss, negatives, margin, regularizer).
        triples (Tensor): ``[n, 3]`` (head, relation, tail) ids in the KGE model's vocabularies.
        batch_size (int): Triples per step. (default: ``512``)

    Raises:
        ValueError: an empty or malformed triple tensor.
    """

    def __init__(self, kge: nn.Module, kge_config, triples: torch.Tensor, batch_size: int = 512) -> None:
        super().__init__()
        if triples.ndim != 2 or triples.shape[1] != 3 or triples.shape[0] == 0:
            raise ValueError("joint fine-tuning needs a non-empty [n, 3] triple tensor")
        self.kge = kge
        self.kge_config = kge_config
        self.register_buffer("triples", triples.long(), persistent=False)
        self.batch_size = int(batch_size)

    @property
    def num_entities(self) -> int:
        """Entities of the KGE model."""
        return int(self.kge.num_nodes)

    def entity_vectors(self, idx: torch.Tensor) -> torch.Tensor:
        """Current (trainable) vectors of entities ``idx``."""
        self.kge.begin_step()
        return self.kge.entities(idx)

    def forward(self) -> torch.Tensor:
        """The KGE loss on one random batch of triples (draws from the global torch RNG)."""
        from model.kge import batch_loss

        n = self.triples.shape[0]
        pick = torch.randint(n, (min(self.batch_size, n),), device=self.triples.device)
        return batch_loss(self.kge, self.triples[pick], self.kge_config, self.num_entities)
