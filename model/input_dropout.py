"""Dropout of the BiLSTM's input vectors, with a cheaper mask on CPU.

On CPU, :func:`torch.nn.functional.dropout` draws its mask with ``bernoulli_``,
which for the input of a text batch (``[batch, time, dim]``, about a million
elements) costs about as much as the rest of the step outside the LSTM. A
uniform draw compared with the rate gives the same Bernoulli mask at about a
third of the cost. Elsewhere (CUDA's fused kernel) the library's dropout runs.
"""

from __future__ import annotations

import torch
from torch import nn


class InputDropout(nn.Dropout):
    """:class:`torch.nn.Dropout` (each element zeroed with probability ``p``, the rest scaled by
    ``1 / (1 - p)``), its mask drawn uniformly on CPU."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` with dropout in training mode; ``x`` itself otherwise."""
        if not self.training or self.p == 0 or x.device.type != "cpu" or self.inplace:
            return super().forward(x)
        if self.p == 1:
            return x * 0
        keep = torch.empty_like(x).uniform_() >= self.p
        return x * keep.to(x.dtype).mul_(1.0 / (1.0 - self.p))
