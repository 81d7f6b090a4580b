"""The wide part fitted first: the n-gram head and the channel's bag as one regularized logistic regression.

Trained jointly with the BiLSTM, the linear rows of the n-gram head
(:mod:`model.ngram_head`) and of the knowledge channel's bag of ancestors stop
moving once the deep part fits the training set (a training loss near 0 within a
few epochs), far from where a regularized linear model would settle: the
jointly trained classifier ends below a plain TF-IDF + logistic regression on
the same data. Fitting them first avoids that, as in stacking:

1. the wide rows (and the head's bias, as the intercept) are fitted alone, as a
   multinomial logistic regression with an L2 penalty (full-batch L-BFGS over the
   sparse matrix of the rows' inputs, at most :data:`MAX_ITER` iterations), the
   penalty of each block (n-grams, bag) chosen from :data:`L2_GRID` and
   :data:`BAG_RATIOS` on validation;
2. they are then frozen, the head's weights start at zero (so the classifier
   starts as exactly the fitted linear model) and the BiLSTM learns what the
   linear model leaves: while it trains, each training text's wide logits are
   those of a fit without that text's fold (:data:`FOLDS`), as in stacking (the
   full fit has all but learned its training texts by heart, which would leave
   the BiLSTM nothing to learn from them).

The fitted linear model is evaluated as epoch 0, so early stopping keeps it when
no epoch of the BiLSTM improves on it on validation.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from model.train.batching import EncodedSplit
from model.train.metrics import classification_metrics

logger = logging.getLogger(__name__)

#: L2 penalties of the n-gram rows (per example, on the mean loss), strongest first (each fit
#: warm-starts from the previous one's solution).
L2_GRID = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
#: The bag rows' penalty relative to the n-gram rows', tried at the best ``L2_GRID`` value (1 is
#: tried with the grid), when there is a bag; the strongest all but switch the bag off, so where the
#: graph's features do not help, validation can choose the n-grams alone.
BAG_RATIOS = (1000.0, 100.0, 10.0, 0.1, 0.01)
#: L-BFGS iterations per fit.
MAX_ITER = 100
#: Folds of the out-of-fold logits the BiLSTM trains beside.
FOLDS = 5


@dataclass(frozen=True)
class WideFit:
    """How the wide part was fitted.

    Args:
        l2 (float): Chosen penalty of the n-gram rows.
        bag_ratio (float, optional): Chosen relative penalty of the bag rows (``None``: no bag).
        valid_score (float): The linear model's validation score (the monitored metric).
        features (int): Rows of the linear model.
        seconds (float): Time the fits took.
    """

    l2: float
    bag_ratio: float | None
    valid_score: float
    features: int
    seconds: float

    def to_dict(self) -> dict:
        """Plain dict form."""
        return asdict(self)


def wide_parameters(classifier) -> list[torch.nn.Parameter]:
    """The rows :func:`fit_wide` fits: the n-gram head's and the channel's bag (those present)."""
    params = []
    if classifier.ngram_head is not None:
        params.append(classifier.ngram_head.weight.weight)
    if classifier.channel is not None:
        params.append(classifier.channel.bag.weight)
    return params


def freeze_wide(classifier) -> bool:
    """Stop training the wide rows; returns whether the classifier has any."""
    params = wide_parameters(classifier)
    for p in params:
        p.requires_grad_(False)
    return bool(params)


def _ngram_block(head, ids: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Row ids and values of one text's n-gram occurrences (the head's logits are their values times the rows)."""
    device = head.idf.device
    rows, mask = head.ngram_ids(torch.tensor([ids], dtype=torch.long, device=device), torch.tensor([len(ids)]))
    weights = head.occurrence_weights(rows, mask)
    return rows[mask].cpu(), weights[mask].detach().cpu()


def wide_inputs(classifier, split: EncodedSplit) -> torch.Tensor:
    """``[examples, rows]`` sparse inputs of the wide rows: ``inputs @ rows`` are the wide logits.

    The columns are the n-gram head's rows, then the bag's.
    """
    head, channel = classifier.ngram_head, classifier.channel
    offset = head.weight.num_embeddings if head is not None else 0
    bag = channel.bag.num_embeddings if channel is not None else 0
    rows, cols, vals = [], [], []
    for i, ids in enumerate(split.ids):
        if head is not None:
            c, v = _ngram_block(head, ids)
            rows.append(torch.full((len(c),), i)), cols.append(c), vals.append(v)
        if channel is not None and split.channel is not None:
            doc = split.channel[i]
            c = torch.as_tensor(doc.bag_ids, dtype=torch.long) + offset
            rows.append(torch.full((len(c),), i)), cols.append(c)
            vals.append(torch.as_tensor(doc.bag_weights, dtype=torch.float32))
    index = torch.stack([torch.cat(rows), torch.cat(cols)]) if rows else torch.zeros(2, 0, dtype=torch.long)
    values = torch.cat(vals).float() if vals else torch.zeros(0)
    return torch.sparse_coo_tensor(index, values, (len(split), offset + bag), check_invariants=False).coalesce()


def _solve(x: torch.Tensor, xt: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
           penalty: torch.Tensor, class_weights: torch.Tensor | None) -> None:
    """Minimize the weighted mean cross-entropy of ``x @ weight + bias`` plus ``sum(penalty * weight**2) / 2``.

    In place, by L-BFGS with the gradient written out (``xt`` is ``x`` transposed, both CSR):
    autograd through a sparse product would transpose ``x`` at every step.
    """
    onehot = F.one_hot(y, weight.shape[1]).to(weight.dtype)
    scale = (class_weights[y] if class_weights is not None else torch.ones_like(y, dtype=weight.dtype))
    scale = (scale / scale.sum()).unsqueeze(1)
    optimizer = torch.optim.LBFGS([weight, bias], lr=1.0, max_iter=MAX_ITER, history_size=10,
                                  tolerance_grad=1e-6, tolerance_change=1e-9, line_search_fn="strong_wolfe")

    def closure():
        with torch.no_grad():
            logits = x @ weight + bias
            log_p = torch.log_softmax(logits, dim=1)
            loss = -(scale * onehot * log_p).sum() + 0.5 * (penalty * weight.pow(2)).sum()
            residual = scale * (log_p.exp() - onehot)
            weight.grad = xt @ residual + penalty * weight
            bias.grad = residual.sum(0)
        return loss

    optimizer.step(closure)


def _penalty(rows: int, sizes: list[int], l2: float, bag_ratio: float | None, device) -> torch.Tensor:
    """``[rows, 1]`` per-row L2 penalties: ``l2``, and ``l2 * bag_ratio`` for the bag's rows (the last block)."""
    penalty = torch.full((rows, 1), l2, device=device)
    if bag_ratio is not None:
        penalty[rows - sizes[-1]:] = l2 * bag_ratio
    return penalty


def _csr(x: torch.Tensor) -> torch.Tensor:
    """A sparse COO matrix as CSR (fast products on CPU and GPU)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return x.to_sparse_csr()


def _csr_pair(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A sparse COO matrix as CSR, and its transpose as CSR."""
    return _csr(x), _csr(x.t().coalesce())


def _out_of_fold(x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                 penalty: torch.Tensor, class_weights: torch.Tensor | None, seed: int) -> torch.Tensor:
    """``[examples, classes]`` logits of each training example by a fit without its fold (:data:`FOLDS`),
    each fit starting from ``weight`` and ``bias``."""
    n = x.shape[0]
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).to(x.device)
    logits = torch.zeros(n, weight.shape[1], device=x.device)
    for fold in range(min(FOLDS, n)):
        held = order[fold::FOLDS]
        keep = torch.ones(n, dtype=torch.bool, device=x.device)
        keep[held] = False
        kept = keep.nonzero().squeeze(1)
        w, b = weight.detach().clone().requires_grad_(True), bias.detach().clone().requires_grad_(True)
        _solve(*_csr_pair(x.index_select(0, kept).coalesce()), y[kept], w, b, penalty, class_weights)
        with torch.no_grad():
            logits[held] = _csr(x.index_select(0, held).coalesce()) @ w + b
    return logits


def fit_wide(classifier, train: EncodedSplit, valid: EncodedSplit, labels: list[str], monitor: str,
             device: torch.device, class_weights: torch.Tensor | None = None,
             seed: int = 0) -> tuple[WideFit, torch.Tensor] | None:
    """Fit the wide rows and the head's bias as one logistic regression; zero the head's weights.

    Args:
        classifier: A :class:`~model.classifier.BiLSTMClassifier`.
        train (EncodedSplit): Training data.
        valid (EncodedSplit): Validation data (chooses the penalties).
        labels (list[str]): Class names.
        monitor (str): The validation metric (``accuracy`` or ``macro_f1``).
        device (torch.device): Where to fit.
        class_weights (Tensor, optional): Per-class loss weights. (default: ``None``)
        seed (int): Seed of the folds. (default: ``0``)

    Returns:
        tuple[WideFit, Tensor]: The chosen penalties, and the out-of-fold wide logits of the
        training examples the BiLSTM trains beside (``[examples, classes]``, each fold's fit less
        the full fit's intercept, which the head's bias holds); ``None`` when the classifier has
        no wide rows.
    """
    params = wide_parameters(classifier)
    if not params:
        return None
    start = time.perf_counter()
    x = wide_inputs(classifier, train).to(device)
    x_train, xt_train = _csr_pair(x)
    x_valid = _csr(wide_inputs(classifier, valid).to(device))
    y = torch.as_tensor(train.labels, dtype=torch.long, device=device)
    sizes = [p.shape[0] for p in params]
    has_bag = classifier.channel is not None
    initial = torch.cat([p.detach() for p in params]).to(device).float()
    weight = initial.clone().requires_grad_(True)
    bias = torch.zeros(len(labels), device=device, requires_grad=True)
    best = None
    candidates = [(l2, 1.0 if has_bag else None) for l2 in L2_GRID]
    while candidates:
        l2, ratio = candidates.pop(0)
        _solve(x_train, xt_train, y, weight, bias, _penalty(len(initial), sizes, l2, ratio, device), class_weights)
        with torch.no_grad():
            predicted = (x_valid @ weight + bias).argmax(-1).tolist()
        score = classification_metrics(valid.labels, predicted, labels)[monitor]
        logger.info("wide fit: l2 %g, bag ratio %s: valid %s %.4f", l2, ratio, monitor, score)
        if best is None or score > best[0]:
            best = (score, l2, ratio, weight.detach().clone(), bias.detach().clone())
        if has_bag and not candidates and ratio == 1.0:  # then the bag's penalty, at the best l2
            candidates = [(best[1], r) for r in BAG_RATIOS]
            with torch.no_grad():
                weight.copy_(best[3]), bias.copy_(best[4])
    score, l2, ratio, fitted, intercept = best
    # each fold's fit starts where the full fit started: warm-started from the full fit, the rows of
    # n-grams only the held-out texts have would keep what that fit learned from them
    offsets = _out_of_fold(x, y, initial, torch.zeros_like(intercept),
                           _penalty(len(initial), sizes, l2, ratio, device), class_weights, seed) - intercept
    with torch.no_grad():
        for p, rows in zip(params, fitted.split(sizes)):
            p.copy_(rows.to(p.device, p.dtype))
        classifier.head.weight.zero_()
        classifier.head.bias.copy_(intercept.to(classifier.head.bias.device))
    fit = WideFit(l2, ratio, score, int(len(initial)), round(time.perf_counter() - start, 2))
    return fit, offsets
