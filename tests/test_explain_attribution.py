"""Integrated Gradients on the embedding layer: quadrature, completeness, determinism, resets."""

from __future__ import annotations

import math

import pytest
import torch

from core.errors import ConfigError
from model.attribution import (
    attribute_tokens,
    gauss_legendre,
    integrated_gradients,
    predict_proba,
)
from model.classifier import BiLSTMClassifier, ClassifierConfig
from model.ngram_head import bigram_keys


def test_gauss_legendre_integrates_polynomials_exactly():
    alphas, weights = gauss_legendre(3)
    assert float(weights.sum()) == pytest.approx(1.0)
    assert all(0 < a < 1 for a in alphas.tolist())
    # exact up to degree 2n-1 = 5 on [0, 1]: ∫ a^5 = 1/6
    assert float((weights * alphas**5).sum()) == pytest.approx(1 / 6, abs=1e-12)
    with pytest.raises(ConfigError):
        gauss_legendre(0)


def test_ig_of_a_linear_function_is_input_times_weight():
    w = torch.tensor([0.5, -2.0, 3.0], dtype=torch.float64)
    x = torch.tensor([1.0, 2.0, -1.0], dtype=torch.float64)
    b = torch.tensor([0.5, 0.0, 1.0], dtype=torch.float64)
    attr, out, base, delta = integrated_gradients(lambda p: p @ w, x, b, n_steps=2)
    assert attr.tolist() == pytest.approx(((x - b) * w).tolist())
    assert out == pytest.approx(float(x @ w)) and base == pytest.approx(float(b @ w))
    assert abs(delta) < 1e-12


def test_ig_of_a_cubic_matches_the_closed_form_and_is_complete():
    # F(x) = sum x_i^3 with baseline 0: IG_i = x_i * ∫ 3 (a x_i)^2 da = x_i^3
    x = torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64)
    attr, out, base, delta = integrated_gradients(lambda p: (p**3).sum(dim=(1, 2)), x, torch.zeros(()), 4, 3)
    assert attr.flatten().tolist() == pytest.approx((x**3).flatten().tolist(), abs=1e-10)
    assert base == 0.0 and out == pytest.approx(float((x**3).sum()))
    assert abs(delta) < 1e-9


def test_ig_rejects_a_bad_batch_size():
    with pytest.raises(ConfigError):
        integrated_gradients(lambda p: p.sum(-1), torch.ones(2), torch.zeros(2), 4, 0)


@pytest.fixture
def tiny_model():
    torch.manual_seed(0)
    model = BiLSTMClassifier(ClassifierConfig(vocab_size=12, num_classes=3, embedding_dim=6, hidden=8, dropout=0.5))
    model.train()  # attribution must switch dropout off itself
    return model


def test_token_attributions_are_complete_and_deterministic(tiny_model):
    ids = [2, 5, 7, 3, 9]
    first = attribute_tokens(tiny_model, ids, baseline_index=1, n_steps=64)
    second = attribute_tokens(tiny_model, ids, baseline_index=1, n_steps=64)
    assert first.attributions == second.attributions
    assert tiny_model.training, "the model's mode must be restored"
    assert len(first.attributions) == len(ids)
    assert first.target == max(range(3), key=lambda c: first.probabilities[c])
    p = first.probabilities[first.target]
    assert sum(first.attributions) == pytest.approx(p - first.baseline_probability, abs=1e-4)
    assert abs(first.delta) < 1e-4
    assert math.isclose(sum(first.probabilities), 1.0, rel_tol=1e-6)


def test_explicit_target_and_bad_target(tiny_model):
    res = attribute_tokens(tiny_model, [2, 3], baseline_index=None, target=0, n_steps=16)
    assert res.target == 0
    with pytest.raises(ConfigError):
        attribute_tokens(tiny_model, [2, 3], baseline_index=None, target=3)


def test_resetting_tokens_to_the_unk_row_equals_feeding_unk(tiny_model):
    ids = [2, 5, 7, 3]
    removed = predict_proba(tiny_model, ids, removed=[1, 3], baseline_index=1)
    assert removed == pytest.approx(predict_proba(tiny_model, [2, 1, 7, 1]))
    assert removed != pytest.approx(predict_proba(tiny_model, ids))


@pytest.fixture
def ngram_model():
    torch.manual_seed(0)
    texts = [[2, 5, 7, 3, 9], [2, 1, 7, 3]]  # the tests' texts: their bigrams have rows
    model = BiLSTMClassifier(ClassifierConfig(vocab_size=12, num_classes=3, embedding_dim=6, hidden=8,
                                              ngrams=2, ngram_bigrams=bigram_keys(texts, 12).numel()))
    model.ngram_head.fit(texts)
    with torch.no_grad():
        model.ngram_head.weight.weight.normal_(0.0, 2.0)  # trained-looking weights, not the zero start
    return model


def test_attributions_with_the_ngram_head_stay_complete_and_reach_its_tokens(ngram_model):
    ids = [2, 5, 7, 3, 9]
    res = attribute_tokens(ngram_model, ids, baseline_index=1, n_steps=64)
    p = res.probabilities[res.target]
    assert res.probability == pytest.approx(p, abs=1e-5)
    assert sum(res.attributions) == pytest.approx(p - res.baseline_probability, abs=1e-3)
    without = BiLSTMClassifier(ngram_model.config.__class__(**{**ngram_model.config.to_dict(), "ngrams": 0}))
    without.load_state_dict({k: v for k, v in ngram_model.state_dict().items() if not k.startswith("ngram_head")})
    plain = attribute_tokens(without, ids, baseline_index=1, n_steps=64)
    assert res.attributions != pytest.approx(plain.attributions, abs=1e-3)


def test_removing_tokens_also_removes_their_ngrams(ngram_model):
    ids = [2, 5, 7, 3]
    removed = predict_proba(ngram_model, ids, removed=[1], baseline_index=1)
    fed_unk = predict_proba(ngram_model, [2, 1, 7, 3])
    assert removed != pytest.approx(fed_unk)  # feeding <unk> keeps n-grams with <unk>; removal drops them
    assert removed != pytest.approx(predict_proba(ngram_model, ids))
