"""The BiLSTM classifier and the classification metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.errors import ConfigError
from model.classifier import BiLSTMClassifier, ClassifierConfig
from model.train.metrics import classification_metrics, paired_standard_error, summarize_seeds

# Tiny models train fastest (and steadiest on shared CI cores) with one thread.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _model(**kw):
    torch.manual_seed(0)
    return BiLSTMClassifier(ClassifierConfig(vocab_size=30, num_classes=3, embedding_dim=8, hidden=5, **kw)).eval()


def test_shapes_and_final_states_of_the_top_layer():
    model = _model()
    tokens = torch.tensor([[3, 4, 5, 0], [6, 7, 0, 0]])
    logits = model(tokens, torch.tensor([3, 2]))
    assert logits.shape == (2, 3)
    assert model.lstm.num_layers == 2 and model.lstm.bidirectional
    assert model.encode(model.embedding(tokens), torch.tensor([3, 2])).shape == (2, 10)


@pytest.mark.parametrize("pooling", ["last", "max", "mean"])
def test_packed_sequences_ignore_padding_and_batch_order(pooling):
    model = _model(pooling=pooling)
    a = torch.tensor([[3, 4, 5]])
    b = torch.tensor([[6, 7]])
    alone_a = model(a, torch.tensor([3]))
    alone_b = model(b, torch.tensor([2]))
    # unsorted batch with extra padding: same outputs per example
    batch = torch.tensor([[6, 7, 0, 0, 0], [3, 4, 5, 0, 0]])
    out = model(batch, torch.tensor([2, 3]))
    torch.testing.assert_close(out[0], alone_b[0])
    torch.testing.assert_close(out[1], alone_a[0])


def test_pooled_document_vectors_by_hand():
    """max/mean pool the top layer's outputs over the true positions only."""
    from torch.nn.utils.rnn import pack_padded_sequence

    tokens, lengths = torch.tensor([[3, 4, 5, 0], [6, 7, 0, 0]]), torch.tensor([3, 2])
    last, pooled_max, pooled_mean = (_model(pooling=p) for p in ("last", "max", "mean"))
    emb = last.embedding(tokens)
    for i, n in enumerate(lengths.tolist()):  # each example alone, unpadded: outputs [1, n, 10]
        out, _ = last.lstm(pack_padded_sequence(emb[i:i + 1, :n], torch.tensor([n]), batch_first=True))
        states = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)[0][0]
        torch.testing.assert_close(pooled_max.encode(emb, lengths)[i], states.max(dim=0).values)
        torch.testing.assert_close(pooled_mean.encode(emb, lengths)[i], states.mean(dim=0))
    assert not torch.allclose(pooled_max.encode(emb, lengths), last.encode(emb, lengths))
    with pytest.raises(ConfigError, match="pooling"):
        ClassifierConfig(vocab_size=3, num_classes=2, pooling="attention")


def test_balanced_class_weights_by_hand():
    from model.train.batching import EncodedSplit
    from model.train.loop import _class_weights

    split = EncodedSplit(ids=[[1]] * 4, labels=[0, 0, 0, 1])
    weights = _class_weights(split, 3, "balanced", torch.device("cpu"))
    torch.testing.assert_close(weights, torch.tensor([4 / 9, 4 / 3, 0.0]))  # n / (classes * count); absent: 0
    assert _class_weights(split, 3, "none", torch.device("cpu")) is None


def test_metrics_by_hand():
    m = classification_metrics([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ["a", "b", "c"])
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert m["per_class"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert m["per_class"]["b"]["precision"] == pytest.approx(2 / 3)
    assert m["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert m["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    s = summarize_seeds([{"accuracy": 0.5, "macro_f1": 0.4}, {"accuracy": 0.7, "macro_f1": 0.6}])
    assert s["accuracy"]["mean"] == pytest.approx(0.6)
    assert s["accuracy"]["std"] == pytest.approx(0.1414213, rel=1e-5)


@pytest.mark.parametrize("metric", ["accuracy", "macro_f1"])
def test_the_paired_bootstrap_resamples_examples_and_scores_each_resample_like_the_metrics(metric):
    rng = np.random.default_rng(1)
    y, a, b = rng.integers(0, 3, 300), rng.integers(0, 3, 300), rng.integers(0, 3, 300)
    picks = np.random.default_rng(0).integers(0, 300, size=(50, 300))
    by_hand = [classification_metrics(y[p], a[p], "xyz")[metric] - classification_metrics(y[p], b[p], "xyz")[metric]
               for p in picks]
    assert paired_standard_error(y, a, b, 3, metric, resamples=50) == pytest.approx(np.std(by_hand, ddof=1))
    assert paired_standard_error(y, a, a, 3, metric) == 0.0
    if metric == "accuracy":  # close to the analytic paired standard error
        d = (a == y).astype(float) - (b == y)
        assert paired_standard_error(y, a, b, 3, metric) == pytest.approx(d.std() / np.sqrt(300), rel=0.2)
