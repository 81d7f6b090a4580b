"""Knowledge injection: entity tokens, initialization, projection, regularizer, controls, joint."""

from __future__ import annotations

import pytest
import torch

from kg.linking import EntityLinker
from model.classifier import BiLSTMClassifier, ClassifierConfig
from model.knowledge import (
    KnowledgeAugmentedClassifier,
    KnowledgeOptions,
    TokenLinks,
    build_alignment,
    entity_token,
    insert_entity_tokens,
    knowledge_penalty,
    orthogonal_matrix,
    shuffled_rows,
)
from core.errors import ConfigError
from model.knowledge.projection import EntityProjection

EX = "http://example.org/"
LABELS = [(EX + "good", "good"), (EX + "fine", "good"), (EX + "bad", "bad"),
          (EX + "waste", "waste of time"), (EX + "time", "time")]

# Tiny models train fastest (and steadiest on shared CI cores) with one thread.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def linker():
    return EntityLinker.from_labels(LABELS)


def test_multiword_mention_gets_an_entity_token_after_its_words(linker):
    words = "what a waste of time , not good".split()
    mentions = linker.link_tokens(words)
    linked = insert_entity_tokens(words, mentions)
    assert linked.tokens == ["what", "a", "waste", "of", "time", entity_token(EX + "waste"), ",", "not", "good"]
    assert linked.mentions == 2 and linked.linked_words == 4
    links = TokenLinks()
    links.add_mentions(words, mentions)
    # one-word mentions link the word itself (both entities labelled "good"); the phrase's words are not linked
    assert links.entities_of("good") == [EX + "fine", EX + "good"]
    assert links.entities_of("time") == []
    assert links.entities_of(entity_token(EX + "waste")) == [EX + "waste"]


def test_without_entity_tokens_a_mention_keeps_the_baselines_tokens_and_its_concepts_on_its_words(linker):
    from model.knowledge.encoder import TextEncoder
    from model.text import Tokenizer
    from pipelines.train_parts import InjectionOptions

    text = "what a waste of time, not good"
    plain = TextEncoder(Tokenizer(), 16).analyse(text)
    linked = TextEncoder(Tokenizer(), 16, linker, max_entities_per_mention=0).analyse(text)
    assert linked.tokens == plain.tokens
    assert linked.position_entities[2:5] == [(EX + "waste",)] * 3
    assert InjectionOptions(max_entities_per_mention=0).max_entities_per_mention == 0
    with pytest.raises(ConfigError, match="max_entities_per_mention"):
        InjectionOptions(max_entities_per_mention=-1)


def _setup(dim_entity=6, dim_token=4):
    itos = ["<pad>", "<unk>", "good", "bad", "movie", entity_token(EX + "waste")]
    links = TokenLinks.from_dict({"good": [EX + "good", EX + "fine"], "bad": [EX + "bad"]})
    entities = [EX + "bad", EX + "fine", EX + "good", EX + "other", EX + "waste"]
    index = {e: i for i, e in enumerate(entities)}
    table = torch.randn(len(entities), dim_entity, generator=torch.Generator().manual_seed(3))
    edges = torch.tensor([[index[EX + "good"], index[EX + "bad"]], [index[EX + "other"], index[EX + "bad"]]]).numpy()
    alignment = build_alignment(itos, links, index, edges)
    cfg = ClassifierConfig(vocab_size=len(itos), num_classes=2, embedding_dim=dim_token, hidden=3)
    return itos, index, table, alignment, cfg


def _model(cfg, alignment=None, table=None, seed=0, **opts):
    torch.manual_seed(seed)
    return KnowledgeAugmentedClassifier(BiLSTMClassifier(cfg), alignment, table, KnowledgeOptions(**opts))


def test_alignment_tokens_pairs_and_neighbours():
    itos, index, table, alignment, _ = _setup()
    assert alignment.token_ids.tolist() == [2, 3, 5]  # good, bad, <ent:waste>
    # good averages two entities (weights 1/2), bad and the entity token one each
    assert sorted(alignment.pair_weight.tolist()) == [0.5, 0.5, 1.0, 1.0]
    # good--bad are neighbours through the edge good->bad; "other" is linked to no token
    assert alignment.neighbours.T.tolist() == [[0, 1]]


def test_linked_tokens_start_at_their_projected_entity_vectors():
    itos, index, table, alignment, cfg = _setup()
    model = _model(cfg, alignment, table, init=True, reg_weight=0.0)
    weight = model.classifier.embedding.weight.detach()
    w = orthogonal_matrix(4, 6, seed=0)
    used = table[alignment.entities]
    scale = 1.0 / (used @ w.T).pow(2).mean().sqrt()
    proj = {e: scale * (table[i] @ w.T) for e, i in index.items()}
    torch.testing.assert_close(weight[2], (proj[EX + "good"] + proj[EX + "fine"]) / 2)
    torch.testing.assert_close(weight[3], proj[EX + "bad"])
    torch.testing.assert_close(weight[5], proj[EX + "waste"])
    # unlinked rows are exactly the baseline's rows (same seed), linked rows are not
    base = _model(cfg).classifier.embedding.weight.detach()
    torch.testing.assert_close(weight[[0, 1, 4]], base[[0, 1, 4]])
    assert not torch.allclose(weight[2], base[2])
    # --no-init leaves every row as in the baseline
    torch.testing.assert_close(_model(cfg, alignment, table, init=False).classifier.embedding.weight, base)


def test_orthogonal_projection_keeps_geometry_and_sets_scale():
    w = orthogonal_matrix(4, 6, seed=1)
    torch.testing.assert_close(w @ w.T, torch.eye(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(orthogonal_matrix(5, 5, seed=1), torch.eye(5))
    ref = torch.randn(50, 6) * 7
    proj = EntityProjection(6, 4, reference=ref, target_rms=1.0)
    assert proj(ref).pow(2).mean().sqrt().item() == pytest.approx(1.0, rel=1e-4)
    learned = EntityProjection(6, 4, mode="learned", reference=ref)
    assert sum(p.numel() for p in learned.parameters()) == 24
    assert sum(p.numel() for p in proj.parameters()) == 0


def test_regularizer_gradient_matches_hand_computation():
    itos, index, table, alignment, cfg = _setup()
    weight = torch.randn(len(itos), 4, dtype=torch.float64, requires_grad=True)
    targets = torch.randn(3, 4, dtype=torch.float64)
    beta = 0.7
    penalty = knowledge_penalty(weight, alignment, targets, neighbour_weight=beta)
    penalty.backward()
    e = weight.detach()
    k, d, n = 3, 4, 1
    rows = e[[2, 3, 5]]
    expected_value = ((rows - targets) ** 2).sum() / (k * d) + beta * ((e[2] - e[3]) ** 2).sum() / (n * d)
    assert penalty.item() == pytest.approx(expected_value.item())
    grad = torch.zeros_like(e)
    grad[[2, 3, 5]] = 2 / (k * d) * (rows - targets)
    grad[2] += beta * 2 / (n * d) * (e[2] - e[3])
    grad[3] += beta * 2 / (n * d) * (e[3] - e[2])
    torch.testing.assert_close(weight.grad, grad)


def test_baseline_and_shuffled_control_differ_only_where_they_should():
    itos, index, table, alignment, cfg = _setup()
    knowledge = _model(cfg, alignment, table, reg_weight=0.1)
    shuffled_table = shuffled_rows(table, seed=11)
    shuffled = _model(cfg, alignment, shuffled_table, reg_weight=0.1)
    baseline = _model(cfg)
    # the same rows: a permutation of the entity table, nothing else
    assert sorted(map(tuple, shuffled_table.tolist())) == sorted(map(tuple, table.tolist()))
    assert not torch.equal(shuffled_table, table)
    assert torch.equal(shuffled.align_token_ids, knowledge.align_token_ids)
    assert torch.equal(shuffled.align_neighbours, knowledge.align_neighbours)
    ks, ss, bs = (m.classifier.state_dict() for m in (knowledge, shuffled, baseline))
    for name in ks:  # LSTM and head weights identical across the three (same seed)
        if name != "embedding.weight":
            torch.testing.assert_close(ks[name], ss[name])
            torch.testing.assert_close(ks[name], bs[name])
    linked = alignment.token_ids
    assert not torch.allclose(ks["embedding.weight"][linked], ss["embedding.weight"][linked])
    torch.testing.assert_close(ks["embedding.weight"][[0, 1, 4]], bs["embedding.weight"][[0, 1, 4]])
    tokens, lengths = torch.tensor([[2, 4, 3]]), torch.tensor([3])
    assert baseline(tokens, lengths)[1].item() == 0.0
    assert knowledge(tokens, lengths)[1].item() > 0.0
    assert baseline.fingerprint() == "none" and knowledge.fingerprint() != shuffled.fingerprint()


def test_joint_kge_loss_trains_entity_vectors():
    from model.kge import KgeConfig, build_model
    from model.knowledge import JointKGELoss

    itos, index, table, alignment, cfg = _setup()
    kcfg = KgeConfig(model="distmult", dim=6, num_negatives=2)
    kge = build_model(kcfg, len(index), 2)
    triples = torch.tensor([[2, 0, 0], [3, 1, 0], [1, 0, 2]])
    joint = JointKGELoss(kge, kcfg, triples, batch_size=3)
    torch.manual_seed(0)
    model = KnowledgeAugmentedClassifier(BiLSTMClassifier(cfg), alignment, None,
                                         KnowledgeOptions(reg_weight=0.5, joint=True, joint_weight=1.0), joint)
    logits, aux = model(torch.tensor([[2, 4, 3]]), torch.tensor([3]))
    (logits.sum() + aux).backward()
    assert kge.node_emb.weight.grad is not None and kge.node_emb.weight.grad.abs().sum() > 0
    assert model.classifier.embedding.weight.grad[2].abs().sum() > 0
