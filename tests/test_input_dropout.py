"""The BiLSTM's input dropout: a Bernoulli mask at the rate, scaled, only in training."""

from __future__ import annotations

import pytest
import torch

from model.input_dropout import InputDropout


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_zeroes_a_share_p_scales_the_rest_and_passes_the_gradient_through_the_mask(p):
    torch.manual_seed(0)
    x = torch.rand(64, 100, 16) + 0.5
    x.requires_grad_(True)
    y = InputDropout(p).train()(x)
    dropped = y == 0
    assert dropped.float().mean().item() == pytest.approx(p, abs=0.01)
    torch.testing.assert_close(y[~dropped], x[~dropped] / (1 - p))
    y.sum().backward()
    torch.testing.assert_close(x.grad, (~dropped).float() / (1 - p))


def test_masks_differ_across_calls_and_follow_the_seed():
    x = torch.ones(8, 50, 4)
    drop = InputDropout(0.3).train()
    torch.manual_seed(1)
    first, second = drop(x), drop(x)
    torch.manual_seed(1)
    assert torch.equal(drop(x), first) and not torch.equal(first, second)


def test_identity_in_eval_mode_and_at_rate_0_and_zeros_at_rate_1():
    x = torch.randn(4, 5, 6)
    assert torch.equal(InputDropout(0.5).eval()(x), x)
    assert torch.equal(InputDropout(0.0).train()(x), x)
    assert InputDropout(1.0).train()(x).abs().sum() == 0
