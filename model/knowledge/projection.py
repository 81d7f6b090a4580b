"""Projection of entity vectors into the token-embedding space.

KG embeddings and token embeddings rarely share a dimension or a scale. kgft
maps entity vectors ``z`` (dimension ``d_e``) to token space (``d``) as
``s * W z`` where

* ``W`` is a random (semi-)orthogonal ``d × d_e`` matrix drawn from a seeded
  generator (``mode="fixed"``, a buffer, never trained; the identity when
  ``d == d_e``) or a linear layer initialized to that matrix and trained with
  the model (``mode="learned"``). An orthogonal map keeps the geometry of the
  graph embedding (distances and angles between entities) as far as the
  dimensions allow.
* ``s`` is one fixed scalar chosen when the projection is built so that the
  projected entity vectors have a per-coordinate RMS of ``target_rms`` (default
  1.0, the scale of PyTorch's ``nn.Embedding`` initialization); it keeps linked
  and unlinked tokens on the same scale.
"""

from __future__ import annotations

import torch
from torch import nn

PROJECTION_MODES = ("fixed", "learned")


def orthogonal_matrix(out_dim: int, in_dim: int, seed: int) -> torch.Tensor:
    """A seeded random ``out_dim × in_dim`` matrix with orthonormal rows or columns.

    Args:
        out_dim (int): Rows.
        in_dim (int): Columns.
        seed (int): Generator seed.

    Returns:
        Tensor: The identity when the dimensions agree, otherwise semi-orthogonal.
    """
    if out_dim == in_dim:
        return torch.eye(out_dim)
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(max(out_dim, in_dim), min(out_dim, in_dim), generator=gen, dtype=torch.float64)
    q, r = torch.linalg.qr(a)
    q = q * torch.sign(torch.diagonal(r)).unsqueeze(0)
    return (q if out_dim > in_dim else q.T).to(torch.float32).contiguous()


class EntityProjection(nn.Module):
    """``s * W z``: entity space → token space.

    Args:
        in_dim (int): Entity vector dimension.
        out_dim (int): Token embedding dimension.
        mode (str): ``"fixed"`` (random orthogonal buffer) or ``"learned"``. (default: ``"fixed"``)
        seed (int): Seed of the orthogonal matrix. (default: ``0``)
        reference (Tensor, optional): Entity vectors used to set the scale ``s``;
            ``None`` keeps ``s = 1``. (default: ``None``)
        target_rms (float): Per-coordinate RMS the reference vectors get. (default: ``1.0``)

    Raises:
        ValueError: an unknown mode.
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        mode: str = "fixed",
        seed: int = 0,
        reference: torch.Tensor | None = None,
        target_rms: float = 1.0,
    ) -> None:
        super().__init__()
        if mode not in PROJECTION_MODES:
            raise ValueError(f"unknown projection mode {mode!r}; use one of {PROJECTION_MODES}")
        self.mode = mode
        weight = orthogonal_matrix(out_dim, in_dim, seed)
        if mode == "learned":
            self.linear = nn.Linear(in_dim, out_dim, bias=False)
            with torch.no_grad():
                self.linear.weight.copy_(weight)
        else:
            self.linear = None
            self.register_buffer("weight", weight)
        scale = 1.0
        if reference is not None and reference.numel():
            with torch.no_grad():
                rms = (reference.float() @ weight.T).pow(2).mean().sqrt().item()
            scale = target_rms / rms if rms > 0 else 1.0
        self.register_buffer("scale", torch.tensor(float(scale)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Project ``[n, in_dim]`` entity vectors to ``[n, out_dim]``."""
        w = self.linear.weight if self.linear is not None else self.weight
        return (z @ w.T) * self.scale
