"""A one-layer bidirectional LSTM over padded texts of unequal length, without packing.

On CPU, PyTorch runs an LSTM over a ``PackedSequence`` step by step in ATen
ops, and the backward pass of each step's slice of the input allocates and
fills a zero tensor the size of the whole batch's input: for texts of 200
tokens that is most of a training step. The same LSTM over a padded batch runs
as one oneDNN call per direction. Padding is harmless to the forward direction
(it reads a text's tokens before its padding) but not to the backward
direction, which would read the padding first. So each direction runs as a
one-direction LSTM with its own weights: the forward one over the batch as it
is, the backward one over every text reversed in place (its tokens last to
first, then its padding), whose outputs are put back in text order. The
results are those of the packed run, with no wasted arithmetic.
"""

from __future__ import annotations

import torch
from torch import nn


def _reversal(lengths: torch.Tensor, steps: int) -> torch.Tensor:
    """``[batch, steps]`` time index that reverses each text's first ``length`` positions (the rest stay)."""
    t = torch.arange(steps, device=lengths.device).unsqueeze(0)
    last = (lengths - 1).unsqueeze(1)
    return torch.where(t <= last, last - t, t)


def _along_time(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``out[i, t] = x[i, index[i, t]]``, as whole rows of ``x`` flattened to ``[batch * time, dim]``
    (a row copy per position, and a row sum per position backward: cheaper than ``gather``'s
    element-wise index over ``dim``)."""
    batch, steps, dim = x.shape
    rows = index + torch.arange(batch, device=index.device).unsqueeze(1) * steps
    return x.reshape(batch * steps, dim).index_select(0, rows.reshape(-1)).view(batch, steps, dim)


def _one_direction(lstm: nn.LSTM, inputs: torch.Tensor, suffix: str) -> torch.Tensor:
    """Outputs of one direction of ``lstm`` (``suffix`` ``""`` or ``"_reverse"``) run left to right."""
    names = ["weight_ih_l0", "weight_hh_l0"] + (["bias_ih_l0", "bias_hh_l0"] if lstm.bias else [])
    weights = [getattr(lstm, name + suffix) for name in names]
    h0 = inputs.new_zeros(1, inputs.shape[0], lstm.hidden_size)
    outputs, _, _ = torch.lstm(inputs, (h0, h0), weights, lstm.bias, 1, 0.0, lstm.training, False, True)
    return outputs


def padded_bilstm(lstm: nn.LSTM, inputs: torch.Tensor, lengths: torch.Tensor,
                  states: bool = True) -> tuple[torch.Tensor | None, torch.Tensor]:
    """Run a one-layer bidirectional, batch-first LSTM over a padded batch as if it were packed.

    Args:
        lstm (nn.LSTM): ``num_layers=1``, ``bidirectional=True``, ``batch_first=True``, no projection.
        inputs (Tensor): ``[batch, time, input_dim]``, each text's vectors first, then padding.
        lengths (Tensor): ``[batch]`` true lengths (``1 <= length <= time``), on the inputs' device.
        states (bool): Also return every position's outputs; without them the backward
            direction's outputs are not put back in text order. (default: ``True``)

    Returns:
        tuple[Tensor or None, Tensor]: ``[batch, time, 2 * hidden]`` outputs (forward then
        backward direction; positions past a text's length hold no meaning; ``None`` without
        ``states``) and ``[batch, 2 * hidden]`` final states (the forward direction's after the
        last token, the backward's after the first), as a packed run's outputs and ``h_n`` give them.
    """
    if lstm.num_layers != 1 or not lstm.bidirectional or not lstm.batch_first or lstm.proj_size:
        raise ValueError("padded_bilstm runs a one-layer bidirectional batch-first LSTM without projection")
    reversal = _reversal(lengths, inputs.shape[1])
    forward = _one_direction(lstm, inputs, "")
    reversed_backward = _one_direction(lstm, _along_time(inputs, reversal), "_reverse")
    rows, last = torch.arange(inputs.shape[0], device=inputs.device), lengths - 1
    # the backward direction's state after a text's first token is its reversed run's last output
    final = torch.cat([forward[rows, last], reversed_backward[rows, last]], dim=-1)
    if not states:
        return None, final
    return torch.cat([forward, _along_time(reversed_backward, reversal)], dim=-1), final
