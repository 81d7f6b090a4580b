"""A one-layer bidirectional LSTM over padded texts of unequal length, without packing.

On CPU, PyTorch runs an LSTM over a ``PackedSequence`` step by step in ATen
ops, and the backward pass of each step's slice of the input allocates and
fills a zero tensor the size of the whole batch's input: for texts of 200
tokens that is most of a training step (a batch of 64 such texts: about 1.6 s
backward packed, against 0.09 s for the same LSTM over the padded batch, which
runs as one oneDNN call). Padding is harmless to the forward direction (it
reads a text's tokens before its padding) but not to the backward direction,
which would read the padding first. So the batch is run twice in one call:
as it is (left-aligned; the forward direction is read from it) and with every
text moved to the end of the time axis (right-aligned; the backward direction
is read from it). The results are those of the packed run, at up to twice its
arithmetic; a batch whose texts all fill the time axis runs once.
"""

from __future__ import annotations

import torch
from torch import nn


def _shifted(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """``out[i, t] = x[i, (t - shift[i]) mod T]``: each row rolled ``shift[i]`` steps along time."""
    steps = x.shape[1]
    index = (torch.arange(steps, device=x.device).unsqueeze(0) - shift.unsqueeze(1)) % steps
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.shape[2]))


def padded_bilstm(lstm: nn.LSTM, inputs: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a one-layer bidirectional, batch-first LSTM over a padded batch as if it were packed.

    Args:
        lstm (nn.LSTM): ``num_layers=1``, ``bidirectional=True``, ``batch_first=True``.
        inputs (Tensor): ``[batch, time, input_dim]``, each text's vectors first, then padding.
        lengths (Tensor): ``[batch]`` true lengths (``1 <= length <= time``), on the inputs' device.

    Returns:
        tuple[Tensor, Tensor]: ``[batch, time, 2 * hidden]`` outputs (forward then backward
        direction; positions past a text's length hold no meaning) and ``[batch, 2 * hidden]``
        final states (the forward direction's after the last token, the backward's after the
        first), as a packed run's outputs and ``h_n`` give them.
    """
    if lstm.num_layers != 1 or not lstm.bidirectional or not lstm.batch_first:
        raise ValueError("padded_bilstm runs a one-layer bidirectional batch-first LSTM")
    batch, steps = inputs.shape[:2]
    hidden = lstm.hidden_size
    if bool((lengths == steps).all()):
        outputs, (h_n, _) = lstm(inputs)
        return outputs, torch.cat([h_n[0], h_n[1]], dim=-1)
    shift = steps - lengths
    both, _ = lstm(torch.cat([inputs, _shifted(inputs, shift)]))
    forward, backward = both[:batch, :, :hidden], _shifted(both[batch:, :, hidden:], -shift)
    rows = torch.arange(batch, device=inputs.device)
    final = torch.cat([forward[rows, lengths - 1], backward[:, 0]], dim=-1)
    return torch.cat([forward, backward], dim=-1), final
