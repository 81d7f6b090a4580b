"""Build the (knowledge-augmented) classifier a training configuration describes.

The same function builds the baseline, the knowledge model and the shuffled
control, so they differ only where the configuration says:

* baseline: no alignment, no entity tokens, no auxiliary loss;
* knowledge: alignment of linked tokens with their entities' vectors,
  initialization / regularizer / joint KGE as switched;
* shuffled: exactly the knowledge model, but the entity vectors are permuted
  across entities with a seeded permutation (``seed + 7919``), and the knowledge
  channel's inputs are shuffled per seed (:mod:`pipelines.knowledge_channel`).

With a :class:`~pipelines.knowledge_channel.SeedChannel` the classifier gets
the knowledge channel (:mod:`model.knowledge.channel`): concept vectors from
the seed's graph vectors, bag weights starting at the graph's vote.
"""

from __future__ import annotations

import logging
from dataclasses import fields

import numpy as np
import torch

from core.errors import ConfigError
from model.classifier import BiLSTMClassifier, ClassifierConfig
from model.knowledge.channel import ChannelConfig
from model.knowledge.channel_inputs import slot_concepts
from model.ngram_head import bigram_keys
from model.knowledge import (
    JointKGELoss,
    KnowledgeAugmentedClassifier,
    KnowledgeOptions,
    build_alignment,
    shuffle_kge_entities,
    shuffled_rows,
)

logger = logging.getLogger(__name__)

SHUFFLE_SEED_OFFSET = 7919


def classifier_config(model, vocab, labels, channel=None, concept_dim: int = 0,
                      trained_concepts: int = 0, bigrams: int = 0) -> ClassifierConfig:
    """The architecture: the ``[model]`` part, sized by the vocabulary, labels, training bigrams and the seed's channel.

    Args:
        model: The :class:`pipelines.train_parts.ModelOptions` (fields named as the
            :class:`~model.classifier.ClassifierConfig`'s).
        vocab: The :class:`model.text.Vocab`.
        labels (list[str]): Class names.
        channel (optional): The seed's :class:`pipelines.knowledge_channel.SeedChannel`. (default: ``None``)
        concept_dim (int): The channel's concept vector size (``channel.concept_dim``). (default: ``0``)
        trained_concepts (int): Concepts the training texts hold (their residuals train). (default: ``0``)
        bigrams (int): Distinct bigrams of the training texts (the n-gram head's rows for them). (default: ``0``)
    """
    channel_config = None
    if channel is not None:
        channel_config = ChannelConfig(num_concepts=int(channel.vectors.shape[0]),
                                       entity_dim=int(channel.vectors.shape[1]),
                                       concept_dim=concept_dim,
                                       bag_features=channel.encoder.bag_size,
                                       slots=channel.encoder.slots,
                                       residual_rows=trained_concepts + 1).to_dict()
    return model.classifier_config(len(vocab), len(labels), vocab.pad_index, channel_config, bigrams)


def load_kge_model(run, triples: np.ndarray):
    """Rebuild the embedding run's KGE model with its trained vectors (for ``--joint``).

    Args:
        run: A :class:`pipelines.embed.EmbeddingRun` of a shallow model.
        triples (np.ndarray): ``[n, 3]`` training ids (R-GCN needs edges).

    Raises:
        ConfigError: an R-GCN run (its encoder weights are not in the exported vectors).
    """
    from model.kge import KgeConfig
    from model.kge import build_model as build_kge

    cfg = KgeConfig.from_dict(run.config)
    if cfg.model == "rgcn":
        raise ConfigError("--joint needs a shallow KGE model (transe, distmult, complex, rotate), not rgcn")
    num_relations = int(run.config.get("num_relations", len(run.relations)))
    kge = build_kge(cfg, len(run.entities), num_relations)
    ent = torch.from_numpy(np.asarray(run.matrix, dtype=np.float32))
    rel = torch.from_numpy(np.asarray(run.relation_matrix, dtype=np.float32))
    with torch.no_grad():
        _copy_vectors(kge.node_emb, getattr(kge, "node_emb_im", None), ent)
        _copy_vectors(kge.rel_emb, getattr(kge, "rel_emb_im", None), rel)
    return kge, cfg


def _copy_vectors(real, imag, vectors) -> None:
    """Copy exported vectors into an embedding, split ``real | imag`` when ``imag`` exists."""
    if imag is not None:
        re, im = vectors.chunk(2, dim=1)
        real.weight.copy_(re)
        imag.weight.copy_(im)
    else:
        real.weight.copy_(vectors)


def knowledge_options(knowledge, seed: int, channel_reg: float) -> KnowledgeOptions:
    """The knowledge switches of one seed's model: the ``[knowledge]`` part's fields of the same names.

    Args:
        knowledge: The :class:`pipelines.train_parts.InjectionOptions`.
        seed (int): Seed of the projection matrix.
        channel_reg (float): Weight of the knowledge channel's penalty (``channel.reg``).
    """
    switches = {f.name: getattr(knowledge, f.name) for f in fields(KnowledgeOptions) if hasattr(knowledge, f.name)}
    return KnowledgeOptions(**switches, seed=seed, channel_reg=channel_reg)


def build_model(config, seed: int, vocab, labels, train, knowledge=None, links=None,
                channel=None) -> KnowledgeAugmentedClassifier:
    """The model of one seed (weights drawn from the current torch RNG state), its n-gram head fitted
    to the training texts (:meth:`model.ngram_head.NgramHead.fit`).

    Args:
        config: A :class:`pipelines.train_config.TrainConfig`.
        seed (int): Seed of the projection matrix.
        vocab: The :class:`model.text.Vocab`.
        labels (list[str]): Class names.
        train: The training split (:class:`model.train.batching.EncodedSplit`): sizes and fits the
            n-gram head; with ``channel``, its channel inputs' concepts get a trainable residual.
        knowledge (optional): A :class:`pipelines.knowledge.KnowledgeSource`; ``None`` is the baseline.
        links (optional): The :class:`model.knowledge.TokenLinks` found in training text.
        channel (optional): The seed's :class:`pipelines.knowledge_channel.SeedChannel`. (default: ``None``)

    Returns:
        KnowledgeAugmentedClassifier: On CPU.
    """
    trained = torch.from_numpy(slot_concepts(train.channel or []))
    bigrams = bigram_keys(train.ids, len(vocab)).numel() if config.model.ngrams == 2 else 0
    classifier = BiLSTMClassifier(classifier_config(config.model, vocab, labels, channel, config.channel.concept_dim,
                                                    len(trained), bigrams),
                                  channel.vectors if channel is not None else None, seed)
    if classifier.ngram_head is not None:
        classifier.ngram_head.fit(train.ids, train.labels)
    if channel is not None:
        classifier.channel.set_trained_concepts(trained)
    if channel is not None and config.channel.vote > 0:
        classifier.channel.set_vote(channel.vote, config.channel.vote)
    if knowledge is None or not config.uses_knowledge:
        return KnowledgeAugmentedClassifier(classifier)
    part = config.knowledge
    options = knowledge_options(part, seed, config.channel.reg)
    if not (part.init or part.reg_weight > 0 or part.joint):
        return KnowledgeAugmentedClassifier(classifier, options=options)
    run = knowledge.run
    edges = knowledge.triples[:, [0, 2]] if len(knowledge.triples) else None
    alignment = build_alignment(vocab.itos, links, run.index, edges, part.max_entities_per_token)
    shuffle_seed = config.seed + SHUFFLE_SEED_OFFSET
    if part.joint:
        if not len(knowledge.triples):
            raise ConfigError("--joint needs the graph's edges, but none were found for this knowledge")
        kge, kge_cfg = load_kge_model(run, knowledge.triples)
        if part.control == "shuffled":
            shuffle_kge_entities(kge, shuffle_seed)
        joint = JointKGELoss(kge, kge_cfg, torch.from_numpy(knowledge.triples), part.joint_batch)
        return KnowledgeAugmentedClassifier(classifier, alignment, None, options, joint)
    table = torch.from_numpy(np.asarray(run.matrix, dtype=np.float32))
    if part.control == "shuffled":
        table = shuffled_rows(table, shuffle_seed)
    return KnowledgeAugmentedClassifier(classifier, alignment, table, options)
