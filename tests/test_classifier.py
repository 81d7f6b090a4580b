"""The BiLSTM classifier and the classification metrics."""

from __future__ import annotations

import pytest
import torch

from model.classifier import BiLSTMClassifier, ClassifierConfig
from model.train.metrics import classification_metrics, summarize_seeds

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


def test_packed_sequences_ignore_padding_and_batch_order():
    model = _model()
    a = torch.tensor([[3, 4, 5]])
    b = torch.tensor([[6, 7]])
    alone_a = model(a, torch.tensor([3]))
    alone_b = model(b, torch.tensor([2]))
    # unsorted batch with extra padding: same outputs per example
    batch = torch.tensor([[6, 7, 0, 0, 0], [3, 4, 5, 0, 0]])
    out = model(batch, torch.tensor([2, 3]))
    torch.testing.assert_close(out[0], alone_b[0])
    torch.testing.assert_close(out[1], alone_a[0])


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
