"""The wide part fitted first: the n-gram head and the channel's bag as one regularized logistic regression.

Trained jointly with the BiLSTM, the linear rows of the n-gram head
(:mod:`model.ngram_head`) and of the knowledge channel's bag of ancestors stop
moving once the deep part fits the training set (a training loss near 0 within a
few epochs), far from where a regularized linear model would settle: the
jointly trained classifier ends below a plain TF-IDF + logistic regression on
the same data. Fitting them first avoids that, as in stacking:

1. the wide rows (and the head's bias, as the intercept) are fitted alone, as a
   multinomial logistic regression with an L2 penalty (full-batch L-BFGS over the
   sparse matrix of the rows' inputs, :mod:`model.train.sparse_logistic`), the
   penalty of each block (n-grams, bag) chosen from :data:`L2_GRID` and
   :data:`BAG_RATIOS` on validation. The bag's penalty pulls its rows toward
   where they start, the graph's vote (each class concept's weight to its class,
   :meth:`~model.knowledge.channel.KnowledgeChannel.set_vote`), not toward zero:
   the stronger the penalty, the more the linear model follows the graph. The
   search first fits the n-grams with the bag switched off, as the baseline
   does (on the same texts the two fits are the same; a knowledge run's texts
   also hold the entity tokens of multi-word mentions,
   :mod:`model.knowledge.entity_tokens`), and keeps the graph's features only
   where the best fit with them beats the best without them by more than the
   standard error of the difference, scored on the training texts' out-of-fold
   predictions and on validation together (validation alone, a few hundred
   texts, flips the decision on noise);
2. they are then frozen, the head's weights start at zero (so the classifier
   starts as exactly the fitted linear model) and the BiLSTM learns what the
   linear model leaves: while it trains, each training text's wide logits are
   those of a fit without that text's fold (:data:`FOLDS`), as in stacking (the
   full fit has all but learned its training texts by heart, which would leave
   the BiLSTM nothing to learn from them); with naive-Bayes scales, a fold's
   are counted without its held-out texts, whose labels they would otherwise read.

The fitted linear model is evaluated as epoch 0, so early stopping keeps it when
no epoch of the BiLSTM improves on it on validation. The penalty search has no
randomness (only the folds, and so the bag's decision, depend on the seed), so
the seeds of a run that fit the same inputs share one search (:data:`_searches`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch

from model.ngram_head import naive_bayes_scales
from model.train.batching import EncodedSplit
from model.train.metrics import classification_metrics, paired_standard_error
from model.train.sparse_logistic import MAX_ITER, ReadColumns, csr, scaled_logits

logger = logging.getLogger(__name__)

#: L2 penalties of the n-gram rows (per example, on the mean loss), strongest first (each fit
#: warm-starts from the previous one's solution).
L2_GRID = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
#: The bag rows' penalty (toward the graph's vote) relative to the n-gram rows', tried at the best
#: ``L2_GRID`` value (1 is tried with the grid), when there is a bag; the strongest all but fix the
#: bag at the graph's vote.
BAG_RATIOS = (1000.0, 100.0, 10.0, 0.1, 0.01)
#: Folds of the out-of-fold logits the BiLSTM trains beside.
FOLDS = 5

#: The last penalty search, by a digest of everything it read: the next seed of a run fitting
#: the same inputs reuses it (the shuffled control's inputs differ per seed, and are searched again).
_searches: dict[str, tuple] = {}


@dataclass(frozen=True)
class WideFit:
    """How the wide part was fitted.

    Args:
        l2 (float): Chosen penalty of the n-gram rows.
        bag_ratio (float, optional): Chosen relative penalty of the bag rows (``None``: no bag, or
            the bag switched off).
        valid_score (float): The linear model's validation score (the monitored metric).
        features (int): Rows of the linear model.
        seconds (float): Time the fits took.
        bag_gain (float, optional): What the best fit with the bag gained over the best without it,
            on the training texts' out-of-fold predictions and validation together (``None``: no bag).
        bag_standard_error (float, optional): The standard error of that gain.
    """

    l2: float
    bag_ratio: float | None
    valid_score: float
    features: int
    seconds: float
    bag_gain: float | None = None
    bag_standard_error: float | None = None

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


def wide_scale(classifier) -> torch.Tensor | None:
    """``[rows, classes]`` fixed scales of the wide rows (the logits read ``rows * scale``): the n-gram
    head's naive-Bayes ratios (``nb`` weighting) and 1 for the bag; ``None`` where every scale is 1."""
    head, channel = classifier.ngram_head, classifier.channel
    if head is None or head.ratio is None:
        return None
    ones = [torch.ones_like(channel.bag.weight)] if channel is not None else []
    return torch.cat([head.ratio.to(head.weight.weight), *ones]).detach()


def wide_inputs(classifier, split: EncodedSplit) -> torch.Tensor:
    """``[examples, rows]`` sparse inputs of the wide rows: ``inputs @ (rows * wide_scale)`` are the wide logits.

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


def _without_columns_from(x: torch.Tensor, first: int) -> torch.Tensor:
    """The coalesced COO matrix ``x`` with its entries in columns ``>= first`` dropped (same shape)."""
    keep = x.indices()[1] < first
    return torch.sparse_coo_tensor(x.indices()[:, keep], x.values()[keep], x.shape,
                                   check_invariants=False).coalesce()


class _Problem:
    """The wide part's regression: inputs, labels, and the penalty and prior of a setting.

    A setting is ``(l2, bag_ratio)``: ``l2`` the n-gram rows' penalty, ``bag_ratio`` the bag
    rows' relative penalty toward their start (the graph's vote), ``None`` with the bag
    switched off (its inputs dropped, its rows held at zero).
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, start: torch.Tensor, bag_rows: int,
                 class_weights: torch.Tensor | None, scale: torch.Tensor | None = None) -> None:
        self.x, self.y, self.start, self.class_weights, self.scale = x, y, start, class_weights, scale
        self.first_bag_row = start.shape[0] - bag_rows
        self.bag_rows = bag_rows
        self._columns: dict[bool, ReadColumns] = {}

    @classmethod
    def of(cls, classifier, train: EncodedSplit, device: torch.device,
           class_weights: torch.Tensor | None = None) -> "_Problem":
        """The regression of ``classifier``'s wide rows (:func:`wide_parameters`) on ``train``, starting
        from the rows' current values."""
        start = torch.cat([p.detach() for p in wide_parameters(classifier)]).to(device).float()
        bag_rows = classifier.channel.bag.num_embeddings if classifier.channel is not None else 0
        scale = wide_scale(classifier)
        return cls(wide_inputs(classifier, train).to(device),
                   torch.as_tensor(train.labels, dtype=torch.long, device=device), start, bag_rows, class_weights,
                   scale.to(device).float() if scale is not None else None)

    def inputs(self, x: torch.Tensor, bag_on: bool) -> torch.Tensor:
        """``x`` as the setting reads it (without the bag's columns when it is off)."""
        return x if bag_on or not self.bag_rows else _without_columns_from(x, self.first_bag_row)

    def start_of(self, ratio: float | None) -> torch.Tensor:
        """Where a fit starts and its penalty pulls: the classifier's rows, the bag's zeroed when off."""
        if ratio is not None or not self.bag_rows:
            return self.start
        start = self.start.clone()
        start[self.first_bag_row:] = 0
        return start

    def penalty(self, l2: float, ratio: float | None) -> torch.Tensor:
        """``[rows, 1]`` per-row L2 penalties: ``l2``, and ``l2 * ratio`` for the bag's rows."""
        penalty = torch.full((self.start.shape[0], 1), l2, device=self.start.device)
        if ratio is not None:
            penalty[self.first_bag_row:] = l2 * ratio
        return penalty

    def solve(self, weight: torch.Tensor, bias: torch.Tensor, l2: float, ratio: float | None) -> None:
        """Fit ``weight`` and ``bias`` in place on the whole training set, from where they are."""
        bag_on = ratio is not None
        if bag_on not in self._columns:
            self._columns[bag_on] = ReadColumns(self.inputs(self.x, bag_on))
        self._columns[bag_on].solve(self.y, weight, bias, self.penalty(l2, ratio), self.start_of(ratio),
                                    self.class_weights, self.scale)

    def fold_scale(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor | None:
        """The scales of a fit on the texts of ``x`` (labels ``y``) alone: the n-gram rows'
        naive-Bayes ratios counted from those texts, as the head counts them from the whole
        training set (an n-gram's presence per class), the bag's as they are; ``None`` without scales.

        The ratios read the labels: a fold's fit scaled by ratios that counted its held-out texts
        would score those texts with their own labels' help.
        """
        if self.scale is None:
            return None
        texts, rows = x.indices()
        present = (rows < self.first_bag_row) & (x.values() > 0)
        counts = torch.zeros(self.scale.shape[1], self.first_bag_row, device=x.device)
        counts.index_put_((y[texts[present]], rows[present]), torch.ones(int(present.sum()), device=x.device),
                          accumulate=True)
        return torch.cat([naive_bayes_scales(counts).to(self.scale), self.scale[self.first_bag_row:]])

    def out_of_fold(self, l2: float, ratio: float | None, seed: int) -> torch.Tensor:
        """``[examples, classes]`` logits of each training example by a fit without its fold
        (:data:`FOLDS`), each fit starting where the full search started, its scales counted
        without the fold (:meth:`fold_scale`)."""
        x = self.inputs(self.x, ratio is not None)
        prior, penalty = self.start_of(ratio), self.penalty(l2, ratio)
        n = x.shape[0]
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).to(x.device)
        logits = torch.zeros(n, self.start.shape[1], device=x.device)
        for fold in range(min(FOLDS, n)):
            held = order[fold::FOLDS]
            keep = torch.ones(n, dtype=torch.bool, device=x.device)
            keep[held] = False
            kept = keep.nonzero().squeeze(1)
            w = prior.clone()
            b = torch.zeros(self.start.shape[1], device=x.device, requires_grad=True)
            fitted = x.index_select(0, kept).coalesce()
            scale = self.fold_scale(fitted, self.y[kept])
            ReadColumns(fitted).solve(self.y[kept], w, b, penalty, prior, self.class_weights, scale)
            with torch.no_grad():
                logits[held] = scaled_logits(csr(x.index_select(0, held).coalesce()), w, b, scale)
        return logits


class _Candidate(NamedTuple):
    """The best fit of a search, with the bag on or off."""

    score: float  # on validation
    l2: float
    ratio: float | None
    weight: torch.Tensor
    bias: torch.Tensor
    predicted: list[int]  # on validation


def _search(problem: _Problem, x_valid: torch.Tensor, valid: EncodedSplit, labels: list[str],
            monitor: str) -> dict[bool, _Candidate]:
    """The best setting on validation with the bag off (``False``) and, when there is one, on (``True``).

    The ``L2_GRID`` with the bag off (the baseline's search) first, then with the bag at ratio 1,
    then :data:`BAG_RATIOS` at the best ``l2``; each pass warm-starts fit after fit from its start.
    Validation reads every column: with the bag off its rows are zero.
    """
    passes = [[(l2, None) for l2 in L2_GRID]]
    if problem.bag_rows:
        passes.append([(l2, 1.0) for l2 in L2_GRID])
    best: dict[bool, _Candidate] = {}
    valid_inputs = csr(x_valid)
    while passes:
        settings = passes.pop(0)
        weight = problem.start_of(settings[0][1]).clone()
        bias = torch.zeros(len(labels), device=weight.device, requires_grad=True)
        for l2, ratio in settings:
            problem.solve(weight, bias, l2, ratio)
            with torch.no_grad():
                predicted = scaled_logits(valid_inputs, weight, bias, problem.scale).argmax(-1).tolist()
            score = classification_metrics(valid.labels, predicted, labels)[monitor]
            logger.info("wide fit: l2 %g, bag ratio %s: valid %s %.4f", l2, ratio, monitor, score)
            on = ratio is not None
            if on not in best or score > best[on].score:
                best[on] = _Candidate(score, l2, ratio, weight.detach().clone(), bias.detach().clone(), predicted)
        if problem.bag_rows and not passes and settings[0][1] == 1.0:  # then the bag's penalty, at the best l2
            passes.append([(max(best.values(), key=lambda b: b.score).l2, r) for r in BAG_RATIOS])
    return best


def _decide(problem: _Problem, candidates: dict[bool, _Candidate], valid_labels, labels: list[str], monitor: str,
            seed: int) -> tuple[_Candidate, torch.Tensor, tuple[float, float] | None]:
    """The fit kept, its out-of-fold training logits (:meth:`_Problem.out_of_fold`), and the bag's
    ``(gain, standard error)`` (``None`` without a bag).

    The bag has to earn its place: the best fit with it is kept only when it beats the best without
    it by more than the difference's standard error (a paired bootstrap,
    :func:`~model.train.metrics.paired_standard_error`: the one-standard-error rule, the simpler model
    winning within the noise), scored on the training texts' out-of-fold predictions and validation
    together.
    """
    logits = {on: problem.out_of_fold(c.l2, c.ratio, seed) for on, c in candidates.items()}
    if True not in candidates:
        return candidates[False], logits[False], None
    y = problem.y.tolist() + list(valid_labels)
    with_bag, without = (logits[on].argmax(-1).tolist() + candidates[on].predicted for on in (True, False))
    keep, gain, margin = _bag_earns_its_place(y, with_bag, without, labels, monitor)
    return candidates[keep], logits[keep], (gain, margin)


def _bag_earns_its_place(y: list[int], with_bag: list[int], without: list[int], labels: list[str],
                         monitor: str) -> tuple[bool, float, float]:
    """Whether the predictions ``with_bag`` beat those ``without`` by more than the standard error; the gain
    and the standard error."""
    gain = classification_metrics(y, with_bag, labels)[monitor] - classification_metrics(y, without, labels)[monitor]
    margin = paired_standard_error(y, with_bag, without, len(labels), monitor)
    logger.info("wide fit: the bag gains %+.4f %s on %d out-of-fold and validation texts (standard error %.4f): %s",
                gain, monitor, len(y), margin, "kept" if gain > margin else "switched off")
    return gain > margin, gain, margin


def _digest(*parts) -> str:
    """SHA-256 of tensors (their bytes, shape and dtype) and plain values."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, torch.Tensor):
            part = part.detach().cpu().contiguous()
            h.update(f"{tuple(part.shape)}{part.dtype}".encode())
            h.update(part.numpy().tobytes())
        else:
            h.update(repr(part).encode())
    return h.hexdigest()


def _cached_search(problem: _Problem, x_valid: torch.Tensor, valid: EncodedSplit, labels: list[str],
                   monitor: str) -> dict[bool, _Candidate]:
    """:func:`_search`, or the last search's result when it read exactly the same inputs."""
    key = _digest(problem.x.indices(), problem.x.values(), problem.y, problem.start, problem.bag_rows,
                  problem.class_weights, problem.scale, x_valid.indices(), x_valid.values(), list(valid.labels),
                  labels, monitor, L2_GRID, BAG_RATIOS, MAX_ITER, str(problem.x.device))
    if key not in _searches:
        _searches.clear()
        _searches[key] = _search(problem, x_valid, valid, labels, monitor)
    else:
        logger.info("wide fit: the penalty search of an earlier seed on the same inputs")
    return {on: c._replace(weight=c.weight.clone(), bias=c.bias.clone()) for on, c in _searches[key].items()}


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
    sizes = [p.shape[0] for p in params]
    problem = _Problem.of(classifier, train, device, class_weights)
    candidates = _cached_search(problem, wide_inputs(classifier, valid).to(device), valid, labels, monitor)
    chosen, logits, bag = _decide(problem, candidates, valid.labels, labels, monitor, seed)
    with torch.no_grad():
        for p, rows in zip(params, chosen.weight.split(sizes)):
            p.copy_(rows.to(p.device, p.dtype))
        classifier.head.weight.zero_()
        classifier.head.bias.copy_(chosen.bias.to(classifier.head.bias.device))
    fit = WideFit(chosen.l2, chosen.ratio, chosen.score, int(problem.start.shape[0]),
                  round(time.perf_counter() - start, 2), *(bag or (None, None)))
    return fit, logits - chosen.bias
