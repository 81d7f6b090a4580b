"""An L2-penalized multinomial logistic regression over sparse inputs, solved by L-BFGS.

The solver of the wide part's fits (:mod:`model.train.wide`): the inputs are a sparse
``[examples, rows]`` matrix, the weights ``[rows, classes]``, read as ``weights * scale`` (fixed
per-element scales, such as the n-gram head's naive-Bayes ratios), and each weight is pulled toward
a prior of its own by a penalty of its own. :class:`ReadColumns` solves for the rows the examples read.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F

#: L-BFGS iterations per fit.
MAX_ITER = 100


def scaled_logits(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                  scale: torch.Tensor | None) -> torch.Tensor:
    """``x @ (weight * scale) + bias`` (``scale`` ``None``: 1)."""
    return x @ (weight if scale is None else weight * scale) + bias


def solve(x: torch.Tensor, xt: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
          penalty: torch.Tensor, prior: torch.Tensor, class_weights: torch.Tensor | None,
          scale: torch.Tensor | None = None) -> None:
    """Minimize the weighted mean cross-entropy of ``x @ (weight * scale) + bias`` plus
    ``sum(penalty * (weight - prior)**2) / 2``.

    In place, by L-BFGS with the gradient written out (``xt`` is ``x`` transposed, both CSR):
    autograd through a sparse product would transpose ``x`` at every step.
    """
    onehot = F.one_hot(y, weight.shape[1]).to(weight.dtype)
    share = (class_weights[y] if class_weights is not None else torch.ones_like(y, dtype=weight.dtype))
    share = (share / share.sum()).unsqueeze(1)
    optimizer = torch.optim.LBFGS([weight, bias], lr=1.0, max_iter=MAX_ITER, history_size=10,
                                  tolerance_grad=1e-6, tolerance_change=1e-9, line_search_fn="strong_wolfe")

    def closure():
        with torch.no_grad():
            log_p = torch.log_softmax(scaled_logits(x, weight, bias, scale), dim=1)
            shift = weight - prior
            loss = -(share * onehot * log_p).sum() + 0.5 * (penalty * shift.pow(2)).sum()
            residual = share * (log_p.exp() - onehot)
            gradient = xt @ residual
            weight.grad = (gradient if scale is None else gradient * scale) + penalty * shift
            bias.grad = residual.sum(0)
        return loss

    optimizer.step(closure)


def csr(x: torch.Tensor) -> torch.Tensor:
    """A sparse COO matrix as CSR (fast products on CPU and GPU)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return x.to_sparse_csr()


def csr_pair(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A sparse COO matrix as CSR, and its transpose as CSR."""
    return csr(x), csr(x.t().coalesce())


def used_columns(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The coalesced COO matrix ``x`` reduced to its columns holding an entry, and those columns' ids."""
    used, inverse = torch.unique(x.indices()[1], return_inverse=True)
    index = torch.stack([x.indices()[0], inverse])
    compact = torch.sparse_coo_tensor(index, x.values(), (x.shape[0], len(used)), check_invariants=False)
    return compact.coalesce(), used


class ReadColumns:
    """A regression's inputs reduced to the columns it reads, in CSR form, and their transpose.

    A weight row whose input column is empty in every example has its optimum at its prior (its
    penalty alone pulls it), so the fit solves for the read rows only and sets the others there:
    the same solution at the cost of the columns the examples hold (for the wide part: in each
    out-of-fold fit the n-grams only the held-out texts hold, and the bag's concepts no text reaches).
    """

    def __init__(self, x: torch.Tensor) -> None:
        compact, self.used = used_columns(x)
        self.x, self.xt = csr_pair(compact)

    def solve(self, y: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, penalty: torch.Tensor,
              prior: torch.Tensor, class_weights: torch.Tensor | None, scale: torch.Tensor | None) -> None:
        """:func:`solve` over the read rows, in place on the full ``weight`` (the others set to ``prior``)."""
        used = self.used
        rows = weight.detach()[used].requires_grad_(True)  # indexing copies
        solve(self.x, self.xt, y, rows, bias, penalty[used], prior[used], class_weights,
              scale[used] if scale is not None else None)
        with torch.no_grad():
            weight.copy_(prior)
            weight[used] = rows
