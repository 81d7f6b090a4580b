"""The padded one-layer BiLSTM gives the packed run's outputs, final states and gradients."""

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from model.padded_lstm import padded_bilstm


def _packed(lstm, x, lengths):
    out, (h_n, _) = lstm(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    states, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return states, torch.cat([h_n[0], h_n[1]], dim=-1)


@pytest.mark.parametrize("lengths,bias", [([5, 2, 7, 1, 7], True), ([7, 7, 7], True), ([3, 7, 1], False)])
def test_same_outputs_final_states_and_gradients_as_packed(lengths, bias):
    torch.manual_seed(0)
    lstm = nn.LSTM(4, 3, batch_first=True, bidirectional=True, bias=bias)
    lengths = torch.tensor(lengths)
    x = torch.randn(len(lengths), 7, 4)
    mask = (torch.arange(7) < lengths.unsqueeze(1)).unsqueeze(-1)
    x = x * mask  # padding after each text, as the embedding gives it
    weights = torch.randn(len(lengths), 7, 6)  # a loss reading every true position and the final states
    results = []
    for run in (_packed, padded_bilstm):
        lstm.zero_grad()
        xi = x.clone().requires_grad_(True)
        states, final = run(lstm, xi, lengths)
        ((states * mask * weights).sum() + final.pow(2).sum()).backward()
        results.append((states * mask, final, xi.grad, [p.grad.clone() for p in lstm.parameters()]))
    (s1, f1, gx1, gp1), (s2, f2, gx2, gp2) = results
    torch.testing.assert_close(s2, s1)
    torch.testing.assert_close(f2, f1)
    torch.testing.assert_close(gx2, gx1)
    for a, b in zip(gp2, gp1):
        torch.testing.assert_close(a, b)


def test_final_states_alone_are_the_same_values_and_gradients():
    torch.manual_seed(2)
    lstm = nn.LSTM(4, 3, batch_first=True, bidirectional=True)
    lengths, x = torch.tensor([5, 2, 7, 1]), torch.randn(4, 7, 4)
    results = []
    for with_states in (True, False):
        lstm.zero_grad()
        xi = x.clone().requires_grad_(True)
        states, final = padded_bilstm(lstm, xi, lengths, states=with_states)
        assert (states is None) is not with_states
        final.pow(2).sum().backward()
        results.append((final, xi.grad, [p.grad.clone() for p in lstm.parameters()]))
    (f1, gx1, gp1), (f2, gx2, gp2) = results
    assert torch.equal(f1, f2) and torch.equal(gx1, gx2) and all(torch.equal(a, b) for a, b in zip(gp1, gp2))


def test_a_text_never_reads_another_texts_padding():
    """The backward direction's state after a short text's first token is the text's alone."""
    torch.manual_seed(1)
    lstm = nn.LSTM(4, 3, batch_first=True, bidirectional=True)
    short = torch.randn(1, 2, 4)
    alone_states, alone_final = padded_bilstm(lstm, short, torch.tensor([2]))
    batch = torch.cat([torch.cat([short, torch.full((1, 4, 4), 9.0)], 1), torch.randn(1, 6, 4)])
    states, final = padded_bilstm(lstm, batch, torch.tensor([2, 6]))
    torch.testing.assert_close(final[0], alone_final[0])
    torch.testing.assert_close(states[0, :2], alone_states[0])


def test_refuses_what_it_cannot_run():
    with pytest.raises(ValueError, match="one-layer bidirectional"):
        padded_bilstm(nn.LSTM(4, 3, num_layers=2, batch_first=True, bidirectional=True),
                      torch.zeros(1, 2, 4), torch.tensor([2]))
