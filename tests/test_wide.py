"""The wide part fitted first: its inputs, the fit, the out-of-fold logits and training beside it."""

from __future__ import annotations

import pytest
import torch

from model.classifier import BiLSTMClassifier
from model.knowledge import KnowledgeAugmentedClassifier
from model.ngram_head import bigram_keys
from model.train import Trainer, TrainSettings
from model.train.sparse_logistic import ReadColumns, csr_pair, solve
from model.train.wide import BAG_RATIOS, L2_GRID, fit_wide, freeze_wide, wide_inputs, wide_parameters, wide_scale
from toy_data import channel_classifier_config, channel_split

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TRAIN, VALID = channel_split(64, 1), channel_split(32, 2)


def _classifier(**changes) -> BiLSTMClassifier:
    torch.manual_seed(0)
    vectors = torch.cat([torch.zeros(1, 6), torch.randn(7, 6, generator=torch.Generator().manual_seed(0))])
    classifier = BiLSTMClassifier(channel_classifier_config(ngrams=2, ngram_bigrams=bigram_keys(TRAIN.ids, 40).numel(),
                                                            **changes), vectors)
    classifier.ngram_head.fit(TRAIN.ids, TRAIN.labels)
    return classifier.eval()


def _logits(classifier, split):
    from model.train.batching import collate

    tokens, lengths, _, channel = collate(split, range(len(split)), 0)
    with torch.no_grad():
        return classifier(tokens, lengths, channel)


@pytest.mark.parametrize("weighting", ["tfidf", "nb"])
def test_the_sparse_inputs_times_the_scaled_rows_are_the_classifiers_wide_logits(weighting):
    classifier = _classifier(ngram_weighting=weighting)
    with torch.no_grad():
        for p in wide_parameters(classifier):
            p.normal_()
        classifier.head.weight.zero_()
    x = wide_inputs(classifier, VALID)
    rows = torch.cat([p.detach() for p in wide_parameters(classifier)])
    scale = wide_scale(classifier)
    assert (scale is None) == (weighting == "tfidf")
    assert x.shape == (len(VALID), len(rows))
    scaled = rows if scale is None else rows * scale
    torch.testing.assert_close(torch.sparse.mm(x, scaled) + classifier.head.bias, _logits(classifier, VALID))


def test_an_nb_fit_is_logistic_regression_on_the_ratio_scaled_features():
    """The wide fit in the scaled space equals a plain fit of the same rows on inputs multiplied by
    the ratios (a two-class problem, where the ratios of both classes are equal)."""
    import model.train.wide as wide

    classifier = _classifier(ngram_weighting="nb", channel=None)
    problem = wide._Problem.of(classifier, TRAIN, torch.device("cpu"))
    assert problem.scale is not None and torch.equal(problem.scale[:, 0], problem.scale[:, 1])
    x = problem.x
    scaled = torch.sparse_coo_tensor(x.indices(), x.values() * problem.scale[x.indices()[1], 0], x.shape,
                                     check_invariants=True)
    plain = wide._Problem(scaled.coalesce(), problem.y, problem.start, 0, None)
    fitted = []
    for each in (problem, plain):
        weight = each.start.clone().requires_grad_(True)
        bias = torch.zeros(2, requires_grad=True)
        each.solve(weight, bias, 1e-2, None)
        fitted.append(weight.detach())
    torch.testing.assert_close(fitted[0], fitted[1], atol=1e-4, rtol=1e-3)


def test_the_fit_solves_for_the_rows_the_texts_read_and_leaves_the_others_at_their_prior():
    """Reduced to the columns holding an entry, the fit reaches the solution of the full problem,
    and every row no training text reads ends at its prior."""
    import model.train.wide as wide

    classifier = _classifier()
    problem = wide._Problem.of(classifier, TRAIN, torch.device("cpu"))
    prior = problem.start + 0.5  # a prior away from zero, so the unread rows have somewhere to go
    penalty = problem.penalty(1e-2, 1.0)
    fitted = []
    for reduced in (True, False):
        weight = torch.zeros_like(prior).requires_grad_(True)
        bias = torch.zeros(2, requires_grad=True)
        if reduced:
            columns = ReadColumns(problem.x)
            columns.solve(problem.y, weight, bias, penalty, prior, None, None)
        else:
            solve(*csr_pair(problem.x), problem.y, weight, bias, penalty, prior, None)
        fitted.append(weight.detach())
    unread = torch.ones(len(prior), dtype=torch.bool)
    unread[columns.used] = False
    assert 0 < len(columns.used) < len(prior)
    torch.testing.assert_close(fitted[0], fitted[1], atol=1e-4, rtol=1e-3)
    assert torch.equal(fitted[0][unread], prior[unread])


def test_fit_wide_chooses_its_penalties_on_validation_and_starts_the_classifier_from_the_linear_model():
    classifier = _classifier()
    fit, train_logits = fit_wide(classifier, TRAIN, VALID, ["neg", "pos"], "accuracy", torch.device("cpu"))
    assert fit.l2 in L2_GRID and fit.bag_ratio in (1.0, *BAG_RATIOS)
    assert fit.valid_score == 1.0  # the bag carries the label
    assert classifier.head.weight.abs().sum() == 0  # the BiLSTM adds nothing yet
    predicted = _logits(classifier, VALID).argmax(-1).tolist()
    assert predicted == VALID.labels
    # out-of-fold logits: one row per training example, from fits that did not see it
    assert train_logits.shape == (len(TRAIN), 2)
    in_sample = _logits(classifier, TRAIN)
    assert not torch.allclose(train_logits + classifier.head.bias, in_sample)
    assert ((train_logits + classifier.head.bias).argmax(-1) == torch.tensor(TRAIN.labels)).float().mean() > 0.9


def _misleading_bag_split(n: int, seed: int, bag_agrees: bool | None, cue_share: float):
    """Texts whose token ``38 + label`` carries the label in ``cue_share`` of them; the bag holds
    feature ``label`` (or ``1 - label`` where the graph misleads, a random one where ``bag_agrees`` is ``None``)."""
    import numpy as np

    from model.knowledge.channel_inputs import ChannelDoc
    from model.train import EncodedSplit

    rng = np.random.default_rng(seed)
    ids, labels, docs = [], [], []
    for i in range(n):
        y = i % 2
        seq = rng.integers(4, 38, 4).tolist() + ([38 + y] if rng.random() < cue_share else [])
        ids.append(seq)
        labels.append(y)
        feature = int(rng.integers(0, 2)) if bag_agrees is None else y if bag_agrees else 1 - y
        docs.append(ChannelDoc(np.array([0]), np.array([[4, 0, 0]]), np.array([feature]), np.array([1.0], np.float32)))
    return EncodedSplit(ids, labels, docs, 3)


def _bag_classifier(train, vote: float = 0.0) -> BiLSTMClassifier:
    vectors = torch.cat([torch.zeros(1, 6), torch.randn(7, 6, generator=torch.Generator().manual_seed(0))])
    classifier = BiLSTMClassifier(channel_classifier_config(ngrams=1), vectors)
    classifier.ngram_head.fit(train.ids)
    if vote:
        classifier.channel.set_vote({0: 0, 1: 1}, vote)
    return classifier


def test_a_bag_of_noise_is_switched_off_and_the_baselines_linear_model_kept():
    """The bag holds a random feature and the label word occurs in half the training texts: the bag
    switched off leaves the n-grams to decide, fitted exactly as in a run without the channel."""
    torch.manual_seed(0)
    train = _misleading_bag_split(80, 3, bag_agrees=None, cue_share=0.5)
    valid = _misleading_bag_split(40, 4, bag_agrees=None, cue_share=1.0)
    classifier = _bag_classifier(train, vote=1.0)
    fit, _ = fit_wide(classifier, train, valid, ["neg", "pos"], "accuracy", torch.device("cpu"))
    assert fit.bag_ratio is None
    assert fit.valid_score >= 0.9
    assert classifier.channel.bag.weight.abs().max() == 0  # off: not even the graph's vote
    plain = BiLSTMClassifier(channel_classifier_config(ngrams=1, channel=None))
    plain.ngram_head.fit(train.ids)
    baseline, _ = fit_wide(plain, train, valid, ["neg", "pos"], "accuracy", torch.device("cpu"))
    assert baseline.l2 == fit.l2
    ngrams = plain.ngram_head.weight.weight
    assert (classifier.ngram_head.weight.weight - ngrams).abs().max() < 1e-3 * ngrams.abs().max()


def test_the_bags_penalty_pulls_toward_the_graphs_vote_not_toward_zero():
    """A bag that is pure noise in training but held at the graph's vote by a strong penalty keeps
    the vote: fitted from the same data with the vote at 0 it ends near 0."""
    train = _misleading_bag_split(80, 3, bag_agrees=True, cue_share=1.0)
    import model.train.wide as wide

    shifted = []
    for vote in (2.0, 0.0):
        classifier = _bag_classifier(train, vote=vote)
        problem = wide._Problem.of(classifier, train, torch.device("cpu"))
        weight = problem.start.clone().requires_grad_(True)
        bias = torch.zeros(2, requires_grad=True)
        problem.solve(weight, bias, 1e-2, 1000.0)
        bag = weight.detach()[problem.first_bag_row:]
        shifted.append((bag[0, 0].item(), bag[1, 1].item()))
    assert all(abs(w - 2.0) < 0.05 for w in shifted[0])
    assert all(abs(w) < 0.05 for w in shifted[1])


def test_a_classifier_without_wide_rows_has_nothing_to_fit():
    from model.classifier import ClassifierConfig

    plain = BiLSTMClassifier(ClassifierConfig(vocab_size=40, num_classes=2, embedding_dim=4, hidden=4))
    assert not freeze_wide(plain)
    assert fit_wide(plain, TRAIN, VALID, ["neg", "pos"], "accuracy", torch.device("cpu")) is None


def test_the_trainer_fits_the_wide_part_first_keeps_it_frozen_and_scores_it_as_epoch_0(tmp_path):
    classifier = _classifier()
    classifier.train()
    model = KnowledgeAugmentedClassifier(classifier)
    settings = TrainSettings(epochs=2, batch_size=16, lr=5e-3, patience=5, seed=0, wide_first=True,
                             monitor="accuracy")
    fp = {"vocab_hash": "v", "model_config": classifier.config.to_dict(), "knowledge": model.fingerprint()}
    trainer = Trainer(model, TRAIN, VALID, ["neg", "pos"], settings, tmp_path, torch.device("cpu"), fp)
    assert not any(p.requires_grad for p in wide_parameters(classifier))
    seen = {}
    trainer.on_epoch_end = lambda epoch, record: seen.setdefault(
        epoch, [p.detach().clone() for p in wide_parameters(classifier)])
    result = trainer.fit()
    assert result.wide is not None and result.wide["valid_score"] == 1.0
    assert result.best_epoch == 0 and result.best_score == 1.0  # no later epoch beats a perfect linear model
    assert [h["epoch"] for h in result.history] == [1, 2]
    for before, after in zip(seen[1], seen[2]):
        assert torch.equal(before, after)  # frozen while the BiLSTM trained
    assert (tmp_path / "best.pt").is_file()


def test_out_of_fold_logits_do_not_remember_the_held_out_texts(monkeypatch):
    """Texts made only of tokens no other text has, with random labels: a fit learns each by heart, but a
    fit without a text knows nothing of it (leaking would show as out-of-fold accuracy near 1)."""
    from model.classifier import ClassifierConfig
    from model.train import EncodedSplit

    monkeypatch.setattr("model.train.wide.L2_GRID", (1e-6,))  # a weak penalty: what a fit saw, it keeps

    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (80,), generator=g).tolist()
    train = EncodedSplit([[2 + 2 * i, 3 + 2 * i] for i in range(80)], labels)
    valid = EncodedSplit([[2 + 2 * i, 3 + 2 * i] for i in range(10)], labels[:10])
    classifier = BiLSTMClassifier(ClassifierConfig(vocab_size=170, num_classes=2, embedding_dim=4, hidden=4,
                                                   ngrams=1))
    classifier.ngram_head.fit(train.ids)
    _, train_logits = fit_wide(classifier, train, valid, ["a", "b"], "accuracy", torch.device("cpu"))
    in_sample = (_logits(classifier.eval(), train).argmax(-1) == torch.tensor(labels)).float().mean()
    out_of_fold = ((train_logits + classifier.head.bias).argmax(-1) == torch.tensor(labels)).float().mean()
    assert in_sample == 1.0 and out_of_fold < 0.7


def test_while_the_bilstm_trains_each_text_sees_its_folds_logits_with_the_intercept_counted_once(monkeypatch):
    """Unique-token texts, 3 of 4 labelled 1: a fit without a text gives it only that fit's intercept,
    close to the full fit's; counting the intercept twice (the head's bias and the fold's) would double it."""
    from model.classifier import ClassifierConfig
    from model.train import EncodedSplit
    from model.train.batching import collate

    monkeypatch.setattr("model.train.wide.L2_GRID", (1e-2,))
    labels = [int(i % 4 != 0) for i in range(80)]
    train = EncodedSplit([[2 + 2 * i, 3 + 2 * i] for i in range(80)], labels)
    classifier = BiLSTMClassifier(ClassifierConfig(vocab_size=170, num_classes=2, embedding_dim=4, hidden=4,
                                                   ngrams=1))
    classifier.ngram_head.fit(train.ids)
    _, train_logits = fit_wide(classifier, train, train, ["a", "b"], "accuracy", torch.device("cpu"))
    tokens, lengths, _, _ = collate(train, range(len(train)), 0)
    with torch.no_grad():
        seen = classifier.eval()(tokens, lengths, wide=train_logits)  # what the loss sees while training
    intercept = float((classifier.head.bias[1] - classifier.head.bias[0]).detach())
    assert intercept > 1.0  # the majority class's prior
    assert float((seen[:, 1] - seen[:, 0]).mean()) == pytest.approx(intercept, rel=0.2)


def test_seeds_fitting_the_same_inputs_share_one_penalty_search(monkeypatch):
    """The search has no randomness: a second fit on the same inputs reuses it (same result, no fits);
    other inputs (here another vote) are searched again."""
    import model.train.wide as wide

    searches = []
    real = wide._search
    monkeypatch.setattr(wide, "_search", lambda *a: searches.append(1) or real(*a))
    monkeypatch.setattr(wide, "_searches", {})
    train, valid = channel_split(40, 1), channel_split(20, 2)
    fits = []
    for seed, vote in ((0, 1.0), (1, 1.0), (2, 2.0)):
        classifier = _bag_classifier(train, vote=vote)
        fit, _ = fit_wide(classifier, train, valid, ["neg", "pos"], "accuracy", torch.device("cpu"), seed=seed)
        fits.append((fit, classifier.ngram_head.weight.weight.detach().clone()))
    assert len(searches) == 2
    assert (fits[0][0].l2, fits[0][0].bag_ratio) == (fits[1][0].l2, fits[1][0].bag_ratio)
    assert torch.equal(fits[0][1], fits[1][1])


def test_the_bag_is_kept_only_when_it_beats_the_fit_without_it_by_more_than_the_noise():
    """One-standard-error rule on 40 examples: a bag that fixes 6 of the fit's 12 errors but makes 5
    new ones gains one example, within the noise (the fit without the bag stays); one that fixes 10
    and breaks none is kept."""
    import model.train.wide as wide

    labels = [i % 2 for i in range(40)]
    without = [1 - y if i < 12 else y for i, y in enumerate(labels)]

    def with_bag(fixed: int, broken: int) -> list[int]:
        wrong = set(range(fixed, 12)) | set(range(12, 12 + broken))
        return [1 - y if i in wrong else y for i, y in enumerate(labels)]

    for monitor in ("accuracy", "macro_f1"):
        keep, gain, margin = wide._bag_earns_its_place(labels, with_bag(6, 5), without, ["a", "b"], monitor)
        assert not keep and 0 < gain < margin
        keep, gain, margin = wide._bag_earns_its_place(labels, with_bag(10, 0), without, ["a", "b"], monitor)
        assert keep and gain > margin > 0
    keep, gain, _ = wide._bag_earns_its_place(labels, with_bag(6, 5), without, ["a", "b"], "accuracy")
    assert gain == pytest.approx(1 / 40)


def test_the_bag_is_judged_on_the_training_folds_too_not_on_validation_alone(monkeypatch):
    """On 20 validation texts the graph's vote is right and the n-grams know nothing: the best fit with
    the bag (held at the vote) wins validation by half its texts. On the training texts the vote
    misleads and 40% carry no n-gram cue: out of fold, the bag costs far more than validation gains,
    so it is switched off."""
    import model.train.wide as wide

    monkeypatch.setattr(wide, "_searches", {})
    train = _misleading_bag_split(200, 5, bag_agrees=False, cue_share=0.6)
    valid = _misleading_bag_split(20, 6, bag_agrees=True, cue_share=0.0)
    classifier = _bag_classifier(train, vote=3.0)
    fit, _ = fit_wide(classifier, train, valid, ["neg", "pos"], "accuracy", torch.device("cpu"))
    (candidates,) = wide._searches.values()
    assert candidates[True].score - candidates[False].score >= 0.3  # validation alone would keep it
    assert fit.bag_ratio is None and fit.bag_gain < -fit.bag_standard_error
    assert classifier.channel.bag.weight.abs().max() == 0


def test_a_bag_that_helps_out_of_fold_is_kept_with_its_gain_recorded():
    fit, _ = fit_wide(_classifier(), TRAIN, VALID, ["neg", "pos"], "accuracy", torch.device("cpu"))
    assert fit.bag_ratio is not None and fit.bag_gain > fit.bag_standard_error > 0
    plain = BiLSTMClassifier(channel_classifier_config(ngrams=1, channel=None))
    plain.ngram_head.fit(TRAIN.ids)
    baseline, _ = fit_wide(plain, TRAIN, VALID, ["neg", "pos"], "accuracy", torch.device("cpu"))
    assert baseline.bag_gain is None and baseline.bag_standard_error is None


def test_a_folds_naive_bayes_scales_are_counted_from_its_texts_alone():
    """Over every training text the fold's scales are the head's; over part of them they are that
    part's ratios (the bag's scales stay 1)."""
    import model.train.wide as wide
    from model.ngram_head import log_count_ratios

    classifier = _classifier(ngram_weighting="nb")
    problem = wide._Problem.of(classifier, TRAIN, torch.device("cpu"))
    torch.testing.assert_close(problem.fold_scale(problem.x, problem.y), problem.scale)
    part = torch.arange(20)
    counts = torch.zeros(2, problem.first_bag_row)
    for i in part.tolist():
        rows, mask = classifier.ngram_head.ngram_ids(torch.tensor([TRAIN.ids[i]]), torch.tensor([len(TRAIN.ids[i])]))
        counts[TRAIN.labels[i], rows[mask].unique()] += 1
    scale = problem.fold_scale(problem.x.index_select(0, part).coalesce(), problem.y[part])
    torch.testing.assert_close(scale[:problem.first_bag_row], log_count_ratios(counts).abs().t())
    assert torch.equal(scale[problem.first_bag_row:], torch.ones_like(scale[problem.first_bag_row:]))


def test_naive_bayes_out_of_fold_logits_do_not_read_the_held_out_labels(monkeypatch):
    """Texts in pairs sharing their two tokens, labels at random: out of fold, a text can only follow
    its partner, right half the time. Ratios counted with the held-out text would be large exactly
    where its label agrees with its partner's, and right about three times in four."""
    from model.classifier import ClassifierConfig
    from model.train import EncodedSplit

    monkeypatch.setattr("model.train.wide.L2_GRID", (1e-3,))
    g = torch.Generator().manual_seed(0)
    n = 600
    labels = torch.randint(0, 2, (n,), generator=g).tolist()
    train = EncodedSplit([[2 + 2 * (i // 2), 3 + 2 * (i // 2)] for i in range(n)], labels)
    classifier = BiLSTMClassifier(ClassifierConfig(vocab_size=n + 4, num_classes=2, embedding_dim=4, hidden=4,
                                                   ngrams=1, ngram_weighting="nb"))
    classifier.ngram_head.fit(train.ids, train.labels)
    _, train_logits = fit_wide(classifier, train, train, ["a", "b"], "accuracy", torch.device("cpu"))
    right = ((train_logits + classifier.head.bias).argmax(-1) == torch.tensor(labels)).float().mean().item()
    assert right < 0.6
