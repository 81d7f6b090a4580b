"""The knowledge channel: hierarchy, inputs for unseen words, shuffled control, alignment, model."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from model.classifier import BiLSTMClassifier, ClassifierConfig
from model.knowledge.channel import ChannelConfig
from model.knowledge.channel_inputs import ChannelDoc, ChannelEncoder, collate_channel
from model.ngram_head import bigram_keys
from model.knowledge.hierarchy import ConceptHierarchy
from pipelines.knowledge_channel import ChannelOptions, ChannelSpec, align_classes, build_channel_spec
from toy_data import channel_classifier_config, channel_split

SKOS = "http://www.w3.org/2004/02/skos/core#"
EX = "http://example.org/"
# concept ids: 1 Polarity, 2 Positive, 3 Negative, 4 good, 5 dreadful, 6 awful, 7 wn:awful (closeMatch awful)
ENTITIES = ["Polarity", "Positive", "Negative", "good", "dreadful", "awful", "wn_awful"]
EDGES = [(2, SKOS + "broader", 1), (3, SKOS + "broader", 1), (4, SKOS + "broader", 2),
         (5, SKOS + "broader", 3), (6, SKOS + "broader", 3), (7, SKOS + "closeMatch", 6),
         (4, EX + "similar", 6)]


def _hierarchy(max_depth=10) -> ConceptHierarchy:
    return ConceptHierarchy.from_edges(EDGES, max_depth)


def test_closure_follows_parents_up_and_equivalents_at_no_cost():
    h = _hierarchy()
    assert h.closure(5) == ((5, 0), (3, 1), (1, 2))
    # wn_awful is closeMatch awful: awful at depth 0, then awful's parents
    assert h.closure(7) == ((7, 0), (6, 0), (3, 1), (1, 2))
    assert _hierarchy(max_depth=1).closure(5) == ((5, 0), (3, 1))
    assert h.descendant_counts([4, 5, 6]) == {2: 1, 3: 2, 1: 3}  # 'similar' is not a hierarchy edge
    assert ConceptHierarchy.from_dict(h.to_dict()).closure(7) == h.closure(7)


def _encoder(**kwargs) -> ChannelEncoder:
    index = {EX + name: i + 1 for i, name in enumerate(ENTITIES)}
    return ChannelEncoder(index, _hierarchy(), bag_features=[1, 2, 3], slots=3, **kwargs)


def test_a_word_never_seen_in_training_still_gets_its_ancestors():
    enc = _encoder()
    # "a wonderful film , dreadful ending": dreadful (position 4) is linked only through the graph
    doc = enc.encode([(), (), (), (), (EX + "dreadful",), ()], [(EX + "dreadful",)])
    assert doc.positions.tolist() == [4]
    assert doc.slots.tolist() == [[5, 3, 1]]  # itself, Negative, Polarity
    features = dict(zip(doc.bag_ids.tolist(), doc.bag_weights.tolist()))
    assert features == pytest.approx({2: math.log(2), 0: math.log(2)})  # Negative and Polarity, once each


def test_bag_counts_each_ancestor_once_per_mention():
    enc = _encoder()
    doc = enc.encode([(EX + "awful",), (EX + "dreadful",), (EX + "good",)],
                     [(EX + "awful",), (EX + "dreadful",), (EX + "good",)])
    features = dict(zip(doc.bag_ids.tolist(), doc.bag_weights.tolist()))
    assert features == pytest.approx({0: math.log(4), 1: math.log(2), 2: math.log(3)})
    batch = collate_channel([doc, enc.encode([()], [])], length=4, slots=3)
    assert batch.concepts.shape == (2, 4, 3)
    assert batch.concepts[0, :3, 0].tolist() == [6, 5, 4] and batch.concepts[1].sum() == 0
    assert batch.bag_offsets.tolist() == [0, 3]


def test_collate_pads_each_text_and_drops_concepts_past_the_batch_length():
    docs = [ChannelDoc(np.array([0, 2, 5]), np.array([[1, 2], [3, 0], [4, 4]]), np.array([7]), np.array([0.5], np.float32)),
            ChannelDoc(np.zeros(0, np.int64), np.zeros((0, 2), np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)),
            ChannelDoc(np.array([3]), np.array([[9, 8]]), np.array([1, 2]), np.array([1.0, 2.0], np.float32))]
    batch = collate_channel(docs, length=4, slots=2)
    expected = torch.zeros(3, 4, 2, dtype=torch.long)
    expected[0, 0], expected[0, 2], expected[2, 3] = torch.tensor([1, 2]), torch.tensor([3, 0]), torch.tensor([9, 8])
    assert torch.equal(batch.concepts, expected)  # position 5 lies past the 4 tokens: dropped
    assert batch.bag_ids.tolist() == [7, 1, 2] and batch.bag_offsets.tolist() == [0, 1, 1]
    assert batch.bag_weights.tolist() == [0.5, 1.0, 2.0]


def _spec(shuffled: bool) -> ChannelSpec:
    return ChannelSpec([""] + [EX + e for e in ENTITIES], _hierarchy(), [1, 2, 3],
                       {"neg": EX + "Negative", "pos": EX + "Positive"}, slots=3, max_entities=4, shuffled=shuffled)


def test_shuffled_control_permutes_exactly_the_injected_maps_per_seed():
    table = np.arange(7 * 2, dtype=np.float32).reshape(7, 2)
    real = _spec(False).for_seed(0, ["neg", "pos"], table)
    assert real.vote == {0: 2, 1: 1}  # neg -> Negative's feature, pos -> Positive's
    assert real.vectors[1:].tolist() == table.tolist() and real.vectors[0].abs().sum() == 0
    assert real.encoder.concepts_of([EX + "dreadful"])[0] == [5, 3, 1]
    a, b = _spec(True).for_seed(0, ["neg", "pos"], table), _spec(True).for_seed(1, ["neg", "pos"], table)
    again = _spec(True).for_seed(0, ["neg", "pos"], table)
    for shuffled in (a, b):
        # vectors: the same rows, permuted (padding stays 0)
        assert sorted(map(tuple, shuffled.vectors[1:].tolist())) == sorted(map(tuple, table.tolist()))
        assert shuffled.vectors[0].abs().sum() == 0
        assert set(shuffled.vote) == {0, 1}
    assert torch.equal(a.vectors, again.vectors) and a.vote == again.vote  # deterministic per seed
    maps = [[s.encoder.concepts_of([EX + e])[0] for e in ENTITIES] for s in (a, b)]
    assert maps[0] != maps[1]  # another permutation for another seed
    assert not torch.equal(a.vectors, b.vectors)
    # the permuted map gives real closures of other concepts
    h = _hierarchy()
    assert all(m[0][0] in range(1, 8) and [c for c, _ in h.closure(m[0][0])][:3] == m[0] for m in maps)


def _knowledge(label_pairs):
    run = SimpleNamespace(entities=[EX + e for e in ENTITIES], relations=[SKOS + "broader", SKOS + "closeMatch"],
                          matrix=np.zeros((7, 2), np.float32))
    run.index = {iri: i for i, iri in enumerate(run.entities)}
    rel = {SKOS + "broader": 0, SKOS + "closeMatch": 1}
    triples = np.asarray([(h - 1, rel[p], t - 1) for h, p, t in EDGES if p in rel], dtype=np.int64)
    return SimpleNamespace(run=run, label_pairs=label_pairs, triples=triples, class_concepts={})


def test_class_labels_align_to_concepts_by_label_or_prefix():
    pairs = [(EX + "Positive", "positive"), (EX + "Negative", "negative"), (EX + "good", "good"),
             (EX + "dreadful", "dreadful"), (EX + "awful", "awful")]
    knowledge = _knowledge(pairs)
    h = ConceptHierarchy.from_edges(EDGES)
    counts = h.descendant_counts({3, 4, 5, 6, 7})
    assert align_classes(["neg", "pos", "meh"], "toy.csv", knowledge, counts) == {
        "neg": EX + "Negative", "pos": EX + "Positive"}
    spec = build_channel_spec(knowledge, ["neg", "pos"], "toy.csv", ChannelOptions(slots=3))
    assert spec.class_concepts == {"neg": EX + "Negative", "pos": EX + "Positive"}
    assert spec.bag_features == [1, 2, 3]  # ancestors of linkable concepts
    assert ChannelSpec.from_dict(spec.to_dict()).to_dict() == spec.to_dict()


def test_classifier_reads_concepts_beside_words_and_starts_from_the_vote():
    spec = _spec(False)
    seed = spec.for_seed(0, ["neg", "pos"], np.random.default_rng(0).normal(size=(7, 6)).astype(np.float32))
    cfg = ClassifierConfig(vocab_size=10, num_classes=2, embedding_dim=4, hidden=5, layers=1, dropout=0.0,
                           channel=ChannelConfig(8, 6, 3, 3, 3).to_dict())
    model = BiLSTMClassifier(cfg, seed.vectors, seed=0)
    model.channel.set_vote(seed.vote, 1.0)
    doc = seed.encoder.encode([(), (EX + "dreadful",), ()], [(EX + "dreadful",)])
    batch = collate_channel([doc], 3, 3)
    assert model.embed(torch.tensor([[1, 2, 3]]), batch).shape == (1, 3, 4 + 3)
    # the bag starts at the graph's vote: log(1 + 1) toward neg (Negative), nothing toward pos
    assert model.channel.bag_logits(batch)[0].tolist() == pytest.approx([math.log(2), 0.0])
    assert model(torch.tensor([[1, 2, 3]]), torch.tensor([3]), batch).shape == (1, 2)
    with pytest.raises(ValueError, match="knowledge channel"):
        model(torch.tensor([[1, 2, 3]]), torch.tensor([3]))
    # concept vectors start at the projected graph vectors (zero residual) and the penalty is 0 there
    assert model.channel.penalty(batch.concepts).item() == 0.0
    ids = torch.tensor([5])
    expected = model.channel.projection(seed.vectors[ids])
    assert torch.allclose(model.channel.concept_vectors(ids), expected)


@pytest.mark.parametrize("compact", [False, True])
def test_token_vectors_and_penalty_equal_their_direct_computation(compact):
    """Only linked positions are computed; the result is each token's mean over its non-zero slots,
    with the same gradients as the mean of each concept's own vector. With compact residual rows,
    concept 8 has no row of its own (it counts in its token's mean with a zero residual)."""
    torch.manual_seed(0)
    from model.knowledge.channel import KnowledgeChannel

    trained = torch.tensor([1, 2, 3, 5, 7])
    channel = KnowledgeChannel(ChannelConfig(9, 5, 4, 3, 3, len(trained) + 1 if compact else 0), 2, torch.randn(9, 5))
    if compact:
        channel.set_trained_concepts(trained)
    with torch.no_grad():
        channel.residual.weight[1:].normal_()
    concepts = torch.tensor([[[0, 0, 0], [3, 1, 0], [8, 0, 0]], [[2, 5, 7], [0, 0, 0], [3, 3, 8]]])
    weights = torch.randn(2, 3, 4)
    grads = []
    for direct in (True, False):
        channel.zero_grad()
        if direct:
            vectors = channel.concept_vectors(concepts)  # [B, T, S, d], zeros at padding
            out = vectors.sum(2) / (concepts != 0).sum(-1, keepdim=True).clamp_min(1)
        else:
            out = channel.token_vectors(concepts)
        (out * weights).sum().backward()
        trained_params = (channel.projection.linear.weight, channel.residual.weight)
        grads.append((out.detach(), [p.grad.clone() for p in trained_params]))
    torch.testing.assert_close(grads[1][0], grads[0][0])
    for fast, slow in zip(grads[1][1], grads[0][1]):
        torch.testing.assert_close(fast, slow)
    used = channel.residual_row[torch.tensor([1, 2, 3, 5, 7, 8])].unique()
    used = used[used != 0]
    assert channel.penalty(concepts).item() == pytest.approx(channel.residual.weight[used].pow(2).sum(-1).mean().item())
    nothing = torch.zeros(2, 4, 3, dtype=torch.long)
    assert channel.token_vectors(nothing).abs().sum().item() == 0.0
    assert channel.token_vectors(nothing).shape == (2, 4, 4)
    assert channel.penalty(nothing).item() == 0.0


def test_channel_options_are_validated():
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="channel.slots"):
        ChannelOptions(slots=0)
    with pytest.raises(ConfigError, match="channel.vote"):
        ChannelOptions(vote=float("nan"))
    with pytest.raises(ConfigError, match="channel init"):
        ChannelOptions(init="zeros")


def test_negation_scope_and_the_negated_half_of_the_bag():
    from model.knowledge.negation import NegationScope

    scope = NegationScope(window=3)
    words = "it was not very good , but not bad . never again . a dreadful film , isn't awful".split()
    starts = [4, 8, 14, 18]  # good, bad, dreadful (a full stop ends the scope of "never"), awful
    assert scope.negated(words, starts) == [True, True, False, True]
    assert NegationScope(window=1).negated(words, starts) == [False, True, False, True]
    enc = _encoder()
    plain = enc.encode([(EX + "awful",)], [(EX + "awful",)])
    negated = enc.encode([(EX + "awful",)], [(EX + "awful",)], [True])
    assert enc.bag_size == 6 and plain.slots.tolist() == negated.slots.tolist()
    assert plain.bag_ids.tolist() == [0, 2] and negated.bag_ids.tolist() == [3, 5]  # Polarity, Negative, negated


@pytest.mark.parametrize("wide_first", [False, True], ids=["joint", "wide-first"])
def test_resume_with_the_channel_reaches_the_same_weights(tmp_path, wide_first):
    from model.knowledge import KnowledgeAugmentedClassifier, KnowledgeOptions
    from model.train import Trainer, TrainSettings

    train, valid = channel_split(64, 1), channel_split(16, 2)
    cfg = channel_classifier_config(ngrams=2 if wide_first else 0, ngram_bigrams=bigram_keys(train.ids, 40).numel())
    vectors = torch.cat([torch.zeros(1, 6), torch.randn(7, 6, generator=torch.Generator().manual_seed(0))])

    def trainer(out, **hooks):
        torch.manual_seed(0)
        classifier = BiLSTMClassifier(cfg, vectors)
        if wide_first:
            classifier.ngram_head.fit(train.ids, train.labels)
        model = KnowledgeAugmentedClassifier(classifier, options=KnowledgeOptions(channel_reg=1.0))
        settings = TrainSettings(epochs=3, batch_size=16, lr=5e-3, patience=5, seed=0, lr_schedule="cosine",
                                 channel_lr_scale=2.0, wide_first=wide_first)
        fp = {"vocab_hash": "v", "model_config": cfg.to_dict(), "knowledge": model.fingerprint()}
        return Trainer(model, train, valid, ["neg", "pos"], settings, out, torch.device("cpu"), fp, **hooks)

    full = trainer(tmp_path / "full")
    full.fit()

    def stop(epoch, step):
        if (epoch, step) == (2, 2):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        trainer(tmp_path / "broken", on_step_end=stop).fit()
    resumed = trainer(tmp_path / "broken")
    resumed.fit(resume=True)
    assert full.model.fingerprint() != "none"
    for name, tensor in resumed.model.state_dict().items():
        torch.testing.assert_close(tensor, full.model.state_dict()[name], rtol=0, atol=0)
    assert resumed.state.history[-1]["aux_loss"] == full.state.history[-1]["aux_loss"] > 0


def _ddp_channel_worker(rank, world, port, out, wide_first):
    import os
    from pathlib import Path

    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    from model.knowledge import KnowledgeAugmentedClassifier
    from model.train import Trainer, TrainSettings, init_distributed, shutdown_distributed

    ctx = init_distributed(torch.device("cpu"))
    torch.manual_seed(0)
    vectors = torch.cat([torch.zeros(1, 6), torch.randn(7, 6, generator=torch.Generator().manual_seed(0))])
    train = channel_split(48, 1)
    cfg = channel_classifier_config(ngrams=2 if wide_first else 0, ngram_bigrams=bigram_keys(train.ids, 40).numel())
    classifier = BiLSTMClassifier(cfg, vectors)
    if wide_first:
        classifier.ngram_head.fit(train.ids, train.labels)
    model = KnowledgeAugmentedClassifier(classifier)
    settings = TrainSettings(epochs=2, batch_size=8, lr=5e-3, seed=0, wide_first=wide_first)
    fp = {"vocab_hash": "v", "model_config": cfg.to_dict(), "knowledge": model.fingerprint()}
    Trainer(model, train, channel_split(16, 2), ["neg", "pos"], settings, Path(out),
            torch.device("cpu"), fp, ctx).fit()
    torch.save({k: v.clone() for k, v in model.state_dict().items()}, Path(out) / f"rank{rank}.pt")
    shutdown_distributed()


@pytest.mark.slow
@pytest.mark.parametrize("wide_first", [False, True], ids=["joint", "wide-first"])
def test_ddp_with_the_channel_keeps_replicas_identical(tmp_path, wide_first):
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_ddp_channel_worker, args=(2, port, str(tmp_path), wide_first), nprocs=2, join=True)
    a = torch.load(tmp_path / "rank0.pt", weights_only=True)
    b = torch.load(tmp_path / "rank1.pt", weights_only=True)
    for name in a:
        torch.testing.assert_close(a[name], b[name])
    # the channel trained (or its bag was fitted first): its bag weights and residuals moved from their zero
    # start (fitted first, the bag alone is perfect on this data: epoch 0 stays the best one)
    assert a["classifier.channel.bag.weight"].abs().sum() > 0
    assert (a["classifier.channel.residual.weight"].abs().sum() > 0) != wide_first


def test_a_residual_row_only_for_training_concepts_trains_the_same_model(tmp_path):
    """Concepts the training texts never hold get no gradient, so their residuals stay 0: a table with
    rows for the training concepts alone trains to the same concept vectors as one row per concept."""
    from model.classifier import BiLSTMClassifier
    from model.knowledge import KnowledgeAugmentedClassifier
    from model.knowledge.channel_inputs import slot_concepts
    from model.train import Trainer, TrainSettings
    from toy_data import channel_classifier_config, channel_split
    from model.knowledge.channel import ChannelConfig

    train, valid = channel_split(48, 1), channel_split(16, 2)
    trained = torch.from_numpy(slot_concepts(train.channel))
    assert 0 < len(trained) < 7  # concept 3 is never linked in training
    vectors = torch.cat([torch.zeros(1, 6), torch.randn(7, 6, generator=torch.Generator().manual_seed(0))])
    models = []
    for rows in (0, len(trained) + 1):
        config = channel_classifier_config(channel=ChannelConfig(8, 6, 4, 4, 3, residual_rows=rows).to_dict())
        classifier = BiLSTMClassifier(config, vectors)
        if rows:  # the same starting weights (the residuals all start at 0)
            classifier.channel.set_trained_concepts(trained)
            start = {k: v for k, v in models[0][1].items() if "residual" not in k}
            assert not classifier.load_state_dict(start, strict=False).unexpected_keys
        else:
            start = {k: v.clone() for k, v in classifier.state_dict().items()}
        model = KnowledgeAugmentedClassifier(classifier)
        settings = TrainSettings(epochs=2, batch_size=16, lr=5e-3, patience=5, seed=0, wide_first=False)
        fp = {"vocab_hash": "v", "model_config": classifier.config.to_dict(), "knowledge": model.fingerprint()}
        Trainer(model, train, valid, ["neg", "pos"], settings, tmp_path / str(rows), torch.device("cpu"), fp).fit()
        models.append((classifier, start))
    (full, _), (compact, _) = models
    assert compact.channel.residual.weight.shape[0] == len(trained) + 1
    every = torch.arange(8)
    assert full.channel.residual.weight[every[~torch.isin(every, trained)]].abs().max() == 0
    torch.testing.assert_close(compact.channel.concept_vectors(every), full.channel.concept_vectors(every))
    state = compact.state_dict()
    reloaded = BiLSTMClassifier(compact.config)
    reloaded.load_state_dict(state)  # the row map is part of the weights
    assert torch.equal(reloaded.channel.residual_row, compact.channel.residual_row)
