"""Row-wise lazy Adam for sparse embedding gradients.

The same update as ``torch.optim.SparseAdam`` (Adam moments and parameters
change only on the rows a batch touched; bias correction uses the global
step), written with plain dense row gathers and ``index_add_`` instead of
sparse-tensor arithmetic. A step then costs ``O(rows touched x dim)`` rather
than ``O(num_entities x dim)`` of dense Adam, which dominates a KGE step on
large graphs.
"""

from __future__ import annotations

import math

import torch


class LazyAdam(torch.optim.Optimizer):
    """Adam that updates only the rows present in a sparse gradient.

    Args:
        params: Parameters (embedding weights with ``sparse=True`` gradients;
            dense gradients update every row).
        lr (float): Learning rate. (default: ``0.001``)
        betas (tuple[float, float]): Moment decay rates. (default: ``(0.9, 0.999)``)
        eps (float): Denominator term. (default: ``1e-8``)
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):
        """One update; returns the closure's loss if one is given."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                grad = p.grad
                if grad.is_sparse:
                    grad = grad.coalesce()
                    rows, values = grad.indices()[0], grad.values()
                else:
                    rows, values = None, grad
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                m = exp_avg[rows] if rows is not None else exp_avg
                v = exp_avg_sq[rows] if rows is not None else exp_avg_sq
                m.lerp_(values, 1 - beta1)  # m = beta1 m + (1 - beta1) g, one pass
                v.mul_(beta2).addcmul_(values, values, value=1 - beta2)
                step = state["step"]
                step_size = group["lr"] * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
                update = m / v.sqrt().add_(group["eps"])
                if rows is None:
                    p.add_(update, alpha=-step_size)
                else:
                    exp_avg.index_copy_(0, rows, m)
                    exp_avg_sq.index_copy_(0, rows, v)
                    p.index_add_(0, rows, update, alpha=-step_size)
        return loss
