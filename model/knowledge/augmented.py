"""The classifier with knowledge attached: initialization, regularizer, joint KGE.

:class:`KnowledgeAugmentedClassifier` wraps a :class:`~model.classifier.BiLSTMClassifier`.
Its ``forward`` returns ``(logits, aux_loss)`` so one ``DistributedDataParallel``
wrapper covers every trainable part. Each part is switchable for ablation:

* ``init``: copy the projected entity targets into the linked tokens' rows once,
  when the model is built;
* ``reg_weight > 0``: add ``reg_weight * R`` (see :mod:`model.knowledge.regularizer`);
* ``joint``: train the KGE model too, adding ``joint_weight * L_KGE``;
* ``channel_reg > 0``: with a knowledge channel in the classifier
  (:mod:`model.knowledge.channel`), add ``channel_reg`` times its penalty (the
  concept vectors' distance from the graph's).

Without an alignment (the ``--baseline``), it is the bare classifier and
``aux_loss`` is zero. Only the classifier decides predictions, so inference
needs nothing but its weights.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn
from model.knowledge.alignment import Alignment
from model.knowledge.channel_inputs import ChannelBatch
from model.knowledge.joint import JointKGELoss
from model.knowledge.projection import EntityProjection
from model.knowledge.regularizer import knowledge_penalty

if TYPE_CHECKING:  # the classifier imports the knowledge channel from this package
    from model.classifier import BiLSTMClassifier


@dataclass(frozen=True)
class KnowledgeOptions:
    """Which knowledge parts are on.

    Args:
        init (bool): Initialize linked tokens from entity vectors. (default: ``True``)
        reg_weight (float): Weight of the regularizer; 0 turns it off. (default: ``0.1``)
        neighbour_weight (float): ``beta``, weight of the neighbour term inside ``R``. (default: ``0.5``)
        projection (str): ``"fixed"`` or ``"learned"``. (default: ``"fixed"``)
        joint (bool): Train the KGE model jointly. (default: ``False``)
        joint_weight (float): Weight of the KGE loss. (default: ``0.1``)
        joint_batch (int): Triples per step for the KGE loss. (default: ``512``)
        seed (int): Seed of the projection matrix. (default: ``0``)
        channel_reg (float): Weight of the knowledge channel's penalty. (default: ``1.0``)
    """

    init: bool = True
    reg_weight: float = 0.1
    neighbour_weight: float = 0.5
    projection: str = "fixed"
    joint: bool = False
    joint_weight: float = 0.1
    joint_batch: int = 512
    seed: int = 0
    channel_reg: float = 1.0

    def to_dict(self) -> dict:
        """Plain dict form."""
        return asdict(self)


class KnowledgeAugmentedClassifier(nn.Module):
    """A classifier plus its knowledge parts.

    Args:
        classifier (BiLSTMClassifier): The model that predicts.
        alignment (Alignment, optional): Linked tokens; ``None`` is the baseline. (default: ``None``)
        entity_table (Tensor, optional): ``[num_entities, d_e]`` entity vectors (rows as in the
            alignment's ``entities``), required with an alignment unless ``joint`` is given.
            (default: ``None``)
        options (KnowledgeOptions, optional): Switches. (default: ``KnowledgeOptions()``)
        joint (JointKGELoss, optional): The KGE loss whose model supplies trainable entity
            vectors (``--joint``). (default: ``None``)
    """

    def __init__(
        self,
        classifier: BiLSTMClassifier,
        alignment: Alignment | None = None,
        entity_table: torch.Tensor | None = None,
        options: KnowledgeOptions | None = None,
        joint: JointKGELoss | None = None,
    ) -> None:
        super().__init__()
        self.classifier = classifier
        self.options = options or KnowledgeOptions()
        self.has_knowledge = alignment is not None
        self.joint = joint
        self.projection = None
        if alignment is None:
            return
        for name, tensor in alignment.to_state().items():
            self.register_buffer(f"align_{name}", tensor, persistent=False)
        if joint is None:
            if entity_table is None:
                raise ValueError("an alignment needs an entity table (or a joint KGE model)")
            self.register_buffer("entity_vectors", entity_table.index_select(0, alignment.entities).float(),
                                 persistent=False)
            reference = self.entity_vectors
        else:
            self.entity_vectors = None
            with torch.no_grad():
                reference = joint.entity_vectors(alignment.entities).float()
        self.projection = EntityProjection(
            reference.shape[1], classifier.config.embedding_dim, self.options.projection,
            seed=self.options.seed, reference=reference,
        )
        if self.options.init:
            self.initialize_embeddings()

    @property
    def alignment(self) -> Alignment | None:
        """The alignment tensors (on the module's device), or ``None`` for the baseline."""
        if not self.has_knowledge:
            return None
        return Alignment(**{n: getattr(self, f"align_{n}") for n in
                            ("token_ids", "entities", "pair_slot", "pair_entity", "pair_weight", "neighbours")})

    def _entity_vectors(self) -> torch.Tensor:
        if self.joint is not None:
            return self.joint.entity_vectors(self.align_entities)
        return self.entity_vectors

    def targets(self) -> torch.Tensor:
        """``[K, d]`` current targets of the linked tokens (projected entity means)."""
        return self.alignment.targets(self.projection(self._entity_vectors()))

    @torch.no_grad()
    def initialize_embeddings(self) -> None:
        """Set the linked tokens' embedding rows to their targets."""
        if not self.has_knowledge:
            return
        weight = self.classifier.embedding.weight
        weight.index_copy_(0, self.align_token_ids, self.targets().to(weight.dtype))

    def penalty(self) -> torch.Tensor:
        """The regularizer ``R`` (unweighted)."""
        return knowledge_penalty(self.classifier.embedding.weight, self.alignment, self.targets(),
                                 self.options.neighbour_weight)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor, channel: ChannelBatch | None = None,
                wide: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits and the weighted auxiliary loss.

        Args:
            tokens (Tensor): ``[batch, time]`` ids.
            lengths (Tensor): ``[batch]`` lengths.
            channel (ChannelBatch, optional): The knowledge channel's inputs. (default: ``None``)
            wide (Tensor, optional): The wide part's logits (see
                :meth:`model.classifier.BiLSTMClassifier.forward`). (default: ``None``)

        Returns:
            tuple[Tensor, Tensor]: ``[batch, classes]`` logits and a scalar loss to add.
        """
        logits = self.classifier(tokens, lengths, channel, wide)
        aux = logits.new_zeros(())
        if self.classifier.channel is not None and channel is not None and self.options.channel_reg > 0:
            aux = aux + self.options.channel_reg * self.classifier.channel.penalty(channel.concepts).float()
        if self.has_knowledge and self.options.reg_weight > 0:
            aux = aux + self.options.reg_weight * self.penalty().float()
        if self.joint is not None and self.options.joint_weight > 0:
            aux = aux + self.options.joint_weight * self.joint()
        return logits, aux

    def fingerprint(self) -> str:
        """SHA-256 of the knowledge inputs (alignment, entity vectors, the channel's graph vectors);
        ``"none"`` for the baseline."""
        channel = self.classifier.channel
        if not self.has_knowledge and channel is None:
            return "none"
        digest = hashlib.sha256()
        tensors = list(self.alignment.to_state().items()) if self.has_knowledge else []
        if self.has_knowledge and self.entity_vectors is not None:
            tensors.append(("entity_vectors", self.entity_vectors))
        if channel is not None:
            tensors.append(("channel", channel.entity_vectors))
        for name, t in tensors:
            digest.update(name.encode())
            digest.update(t.detach().cpu().contiguous().numpy().tobytes())
        return digest.hexdigest()
