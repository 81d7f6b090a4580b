"""The linear n-gram head: ids, masking, the normalized sum, the naive-Bayes weighting, presence weights and token shares."""

from __future__ import annotations

import math

import pytest
import torch

from model.classifier import BiLSTMClassifier, ClassifierConfig
from model.ngram_head import GAIN, NB_ALPHA, NgramHead, bigram_keys, log_count_ratios, token_shares


def test_bigram_keys_are_the_distinct_pairs_within_each_text():
    texts = [[3, 4, 5], [6, 7], [4, 5, 4, 5], [9]]
    keys = bigram_keys(texts, 10).tolist()
    assert keys == sorted({34, 45, 67, 54})  # 5 -> 6 crosses two texts: not a bigram
    assert bigram_keys([[1]], 10).numel() == 0 and bigram_keys([], 10).numel() == 0
    assert bigram_keys([[], [1, 2]], 10).tolist() == [12]  # an empty text ends nothing


def test_each_training_bigram_has_its_own_row_and_unseen_ones_are_masked_like_padding():
    texts = [[3, 4, 5], [6, 7]]
    head = NgramHead(vocab_size=10, num_classes=2, ngrams=2, bigrams=3)
    head.fit(texts)
    tokens = torch.tensor([[3, 4, 5], [6, 7, 0], [5, 4, 3]])
    ids, mask = head.ngram_ids(tokens, torch.tensor([3, 2, 3]))
    assert ids.shape == (3, 5)
    assert ids[:, :3].tolist() == tokens.tolist()
    assert ids[0, 3:].tolist() == [10, 11] and ids[1, 3] == 12  # rows after the vocabulary's, in key order
    assert mask.tolist() == [[True] * 5, [True, True, False, True, False], [True, True, True, False, False]]
    with pytest.raises(ValueError, match="rows for 2 bigrams"):
        NgramHead(10, 2, 2, bigrams=2).fit(texts)


def test_logits_are_the_normalized_sum_of_the_valid_ngrams_and_linear_in_presence():
    head = NgramHead(vocab_size=5, num_classes=2, ngrams=1)
    with torch.no_grad():
        head.weight.weight.copy_(torch.arange(10, dtype=torch.float32).reshape(5, 2))
    tokens, lengths = torch.tensor([[1, 3, 0]]), torch.tensor([2])
    scale = GAIN / 2**0.5
    assert head(tokens, lengths)[0].tolist() == pytest.approx([scale * (2 + 6), scale * (3 + 7)])
    half = head(tokens, lengths, torch.tensor([[1.0, 0.0, 1.0]]))
    assert half[0].tolist() == pytest.approx([scale * 2, scale * 3])  # still normalized by the text's 2 n-grams


def test_a_new_head_starts_at_zero_and_the_classifier_adds_it():
    config = ClassifierConfig(vocab_size=20, num_classes=3, embedding_dim=4, hidden=5, ngrams=2, ngram_bigrams=2)
    model = BiLSTMClassifier(config).eval()
    model.ngram_head.fit([[2, 3, 4]])
    tokens, lengths = torch.tensor([[2, 3, 4]]), torch.tensor([3])
    before = model(tokens, lengths)
    assert model.ngram_head(tokens, lengths).abs().sum() == 0
    with torch.no_grad():
        model.ngram_head.weight.weight[3].fill_(1.0)
    assert (model(tokens, lengths) - before)[0].tolist() == pytest.approx([GAIN / 5**0.5] * 3)


def test_token_shares_split_bigrams_evenly_and_keep_the_sum():
    values = torch.tensor([1.0, 2.0, 3.0, 10.0, 20.0])  # 3 unigrams, 2 bigrams
    shares = token_shares(values, 3)
    assert shares.tolist() == [1 + 5, 2 + 5 + 10, 3 + 10]
    assert float(shares.sum()) == pytest.approx(float(values.sum()))


def test_bad_ngram_settings_are_refused():
    with pytest.raises(ValueError):
        NgramHead(5, 2, ngrams=3)
    from core.errors import ConfigError
    with pytest.raises(ConfigError):
        ClassifierConfig(vocab_size=5, num_classes=2, ngrams=4)


def test_idf_comes_from_the_training_texts_and_repeats_count_sublinearly():
    head = NgramHead(vocab_size=5, num_classes=1, ngrams=1)
    head.fit([[1, 2], [1, 3], [1, 1]])
    idf = head.idf.tolist()
    assert idf[1] == pytest.approx(1.0 + math.log(4 / 4))  # in every text
    assert idf[2] == pytest.approx(1.0 + math.log(4 / 2))
    assert idf[4] == pytest.approx(1.0 + math.log(4 / 1))  # never seen
    with torch.no_grad():
        head.weight.weight.fill_(1.0)
    # "1 1 2": tf(1) = 2 gives 1 + log 2, tf(2) = 1 gives 1; each times its idf, then unit length
    values = torch.tensor([(1 + math.log(2)) * idf[1], idf[2]])
    expected = GAIN * values.sum() / values.norm()
    with torch.no_grad():
        logit = float(head(torch.tensor([[1, 1, 2]]), torch.tensor([3]))[0, 0])
    assert logit == pytest.approx(float(expected))


def test_log_count_ratios_compare_each_class_with_the_rest():
    counts = torch.tensor([[3.0, 0.0, 1.0], [1.0, 2.0, 1.0]])
    r = log_count_ratios(counts)
    p, q = counts[0] + NB_ALPHA, counts[1] + NB_ALPHA
    assert r[0].tolist() == pytest.approx(((p / p.sum()).log() - (q / q.sum()).log()).tolist())
    torch.testing.assert_close(r[1], -r[0])  # two classes: one row is the other's negative
    three = log_count_ratios(torch.tensor([[4.0, 0.0], [0.0, 4.0], [0.0, 4.0]]))
    assert three[0, 0] > 0 > three[0, 1] and three[1, 1] > 0  # class 0 owns feature 0


def test_nb_weighting_counts_each_ngram_once_and_scales_its_rows_by_the_ratios():
    head = NgramHead(vocab_size=6, num_classes=2, ngrams=1, weighting="nb")
    texts, labels = [[1, 2], [1, 1, 3], [4, 2], [4, 5]], [0, 0, 1, 1]
    head.fit(texts, labels)
    # documents holding each token per class (a repeat counts once)
    counts = torch.tensor([[0, 2, 1, 1, 0, 0], [0, 0, 1, 0, 2, 1]], dtype=torch.float32)
    torch.testing.assert_close(head.ratio, log_count_ratios(counts).abs().t())
    assert head.ratio[2].tolist() == pytest.approx([0.0, 0.0], abs=1e-6)  # in one text of each class
    with torch.no_grad():
        head.weight.weight.fill_(1.0)
        logits = head(torch.tensor([[1, 1, 3, 0]]), torch.tensor([3]))
    torch.testing.assert_close(logits[0], head.ratio[1] + head.ratio[3])  # "1" twice counts once
    assert "ratio" in head.state_dict() and "ratio" not in NgramHead(6, 2, 1).state_dict()
    with pytest.raises(ValueError):
        NgramHead(6, 2, 1, weighting="bm25")
    with pytest.raises(ValueError, match="labels"):
        head.fit(texts)
