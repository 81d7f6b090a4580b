"""A linear n-gram head beside the BiLSTM: the "wide" part of a wide-and-deep classifier.

Class logits are the product of a text's feature vector over its unigrams and
bigrams with one learned weight row per n-gram. Two weightings
(:data:`WEIGHTINGS`, set from the training texts by :meth:`NgramHead.fit`):

* ``tfidf``: sublinear term frequency ``1 + log(tf)`` times the inverse document
  frequency ``1 + log((1 + n) / (1 + df))`` of the training texts (scikit-learn's
  smoothed form), the vector scaled to unit length, times :data:`GAIN`;
* ``nb``: each n-gram present counts 1 (however often it occurs), and its weight for
  a class is scaled by the magnitude of its naive-Bayes log-count ratio for that
  class against the rest (:func:`log_count_ratios`), as in NBSVM (Wang and Manning,
  2012, "Baselines and Bigrams"): a linear model over these features, fitted with an
  L2 penalty, shrinks the n-grams that naive Bayes finds telling less than the
  others. The scale is a fixed buffer, so the learned rows and their penalty live in
  the scaled space.

A BiLSTM trained from scratch on a few thousand texts reads word identity poorly,
while a linear model over uni- and bigrams is the classic strong floor on such
data; the sum of both is a stronger baseline than either, for every arm alike.

The bigram rows follow the vocabulary's, one per distinct bigram of the training
texts (:func:`bigram_keys`), as a fitted vectorizer's vocabulary: a bigram the
training texts never hold has no row and is read as absent, like padding
positions and bigrams reaching past a text's length. (Hashing bigrams into a
fixed number of rows instead merges unrelated bigrams in one row and gives unseen
ones the weight of whatever trained bigram shares their row, which cost the MR
baseline accuracy: BENCHMARKS.md, "The n-gram weighting".) The rows start at
zero, so training starts from the BiLSTM's logits.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

#: Output scale of the ``tfidf`` head: under Adam, its rows' effective learning rate relative to the BiLSTM's.
GAIN = 10.0
#: The n-gram weightings (see the module docstring).
WEIGHTINGS = ("tfidf", "nb")
#: Additive smoothing of the naive-Bayes document counts (:func:`log_count_ratios`).
NB_ALPHA = 1.0


class NgramHead(nn.Module):
    """Length-normalized sum of per-n-gram class weights over a text's unigrams and bigrams.

    Args:
        vocab_size (int): Number of token ids.
        num_classes (int): Number of labels.
        ngrams (int): 1 (unigrams) or 2 (unigrams and bigrams).
        bigrams (int): Bigram rows: the training texts' distinct bigrams (:func:`bigram_keys`;
            ignored when ``ngrams`` is 1). (default: ``0``)
        weighting (str): ``tfidf`` or ``nb`` (see the module docstring). (default: ``"tfidf"``)
    """

    def __init__(self, vocab_size: int, num_classes: int, ngrams: int, bigrams: int = 0,
                 weighting: str = "tfidf") -> None:
        super().__init__()
        if ngrams not in (1, 2):
            raise ValueError(f"ngrams must be 1 or 2, got {ngrams}")
        if weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
        self.vocab_size, self.ngrams = vocab_size, ngrams
        bigrams = bigrams if ngrams == 2 else 0
        rows = vocab_size + bigrams
        self.weight = nn.Embedding(rows, num_classes)
        nn.init.zeros_(self.weight.weight)
        self.register_buffer("bigram_keys", torch.zeros(bigrams, dtype=torch.long))
        self.register_buffer("idf", torch.ones(rows))
        self.register_buffer("ratio", torch.ones(rows, num_classes) if weighting == "nb" else None)

    @torch.no_grad()
    def fit(self, texts, labels=None) -> None:
        """Set the bigram rows and the weighting from the training texts: the inverse document
        frequencies (``tfidf``) or the naive-Bayes log-count ratios' magnitudes (``nb``).

        Args:
            texts (Sequence[Sequence[int]]): Token ids per training text.
            labels (Sequence[int], optional): Their class indices (``nb`` needs them).

        Raises:
            ValueError: ``nb`` without labels, or texts holding another number of distinct
                bigrams than the head has rows for.
        """
        if self.ngrams == 2:
            keys = bigram_keys(texts, self.vocab_size)
            if keys.numel() != self.bigram_keys.numel():
                raise ValueError(f"the head has rows for {self.bigram_keys.numel()} bigrams, "
                                 f"the texts hold {keys.numel()}")
            self.bigram_keys.copy_(keys)
        by_class = self.ratio is not None  # nb: documents per class holding each n-gram; tfidf: in all
        if by_class and labels is None:
            raise ValueError("the nb weighting needs the training texts' labels")
        counts = torch.zeros(self.weight.weight.shape[1] if by_class else 1, self.idf.numel())
        for ids, label in zip(texts, labels if by_class else itertools.repeat(0)):
            rows, mask = self.ngram_ids(torch.tensor([list(ids)], dtype=torch.long), torch.tensor([len(ids)]))
            counts[label, torch.unique(rows[mask])] += 1
        if not by_class:
            self.idf.copy_(torch.log((1.0 + len(texts)) / (1.0 + counts[0].to(self.idf))) + 1.0)
            return
        self.ratio.copy_(naive_bayes_scales(counts).to(self.ratio))

    def ngram_ids(self, tokens: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The row ids of every n-gram and their validity mask.

        Args:
            tokens (Tensor): ``[batch, time]`` token ids.
            lengths (Tensor): ``[batch]`` true lengths.

        Returns:
            tuple[Tensor, Tensor]: ``[batch, n]`` row ids and ``[batch, n]`` bool mask
            (``n`` is ``time`` for unigrams, ``2 * time - 1`` with bigrams).
        """
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        lengths = lengths.to(tokens.device).unsqueeze(1)
        ids, mask = tokens, positions < lengths
        if self.ngrams == 2 and tokens.shape[1] > 1:
            rows, known = self.bigram_rows(tokens[:, :-1] * self.vocab_size + tokens[:, 1:])
            ids = torch.cat([ids, rows], dim=1)
            mask = torch.cat([mask, (positions[:-1] < lengths - 1) & known], dim=1)
        return ids, mask

    def bigram_rows(self, keys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The rows of bigram keys (``first * vocab_size + second``), and which of them the training
        texts held (the others get row 0, masked out)."""
        table = self.bigram_keys
        if not table.numel():
            return torch.zeros_like(keys), torch.zeros_like(keys, dtype=torch.bool)
        at = torch.searchsorted(table, keys).clamp_max(table.numel() - 1)
        known = table[at] == keys
        return torch.where(known, at + self.vocab_size, torch.zeros_like(at)), known

    def occurrence_weights(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``[batch, n]``: each n-gram occurrence's share of its n-gram's value in the text.

        ``tfidf``: an n-gram occurring ``tf`` times has the value ``(1 + log tf) * idf`` in a
        unit-length vector, times ``GAIN``; ``nb``: the value 1. Either is split evenly over
        its occurrences; padding gets 0.

        Args:
            ids (Tensor): ``[batch, n]`` row ids (:meth:`ngram_ids`).
            mask (Tensor): ``[batch, n]`` validity mask.
        """
        keys = torch.arange(ids.shape[0], device=ids.device).unsqueeze(1) * self.idf.numel() + ids
        keys = torch.where(mask, keys, torch.full_like(keys, -1))
        _, inverse, counts = torch.unique(keys, return_inverse=True, return_counts=True)
        tf = counts[inverse].to(self.idf.dtype)
        if self.ratio is not None:
            return mask.to(self.idf.dtype) / tf
        value = (1.0 + tf.log()) * self.idf[ids] * mask.to(self.idf.dtype)
        norm = (value.pow(2) / tf).sum(dim=1, keepdim=True).sqrt().clamp_min(1e-12)
        return GAIN * value / (tf * norm)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor,
                presence: torch.Tensor | None = None) -> torch.Tensor:
        """``[batch, num_classes]`` logits: the text's n-gram values (:meth:`occurrence_weights`) times the rows
        (times the ratios, with ``nb``).

        Args:
            tokens (Tensor): ``[batch, time]`` token ids.
            lengths (Tensor): ``[batch]`` true lengths.
            presence (Tensor, optional): ``[batch, n]`` weights scaling each n-gram occurrence's
                row (1: present, 0: absent) while the weights stay the whole text's, so the
                logits are linear in them (used by attribution). (default: all 1)
        """
        ids, mask = self.ngram_ids(tokens, lengths)
        weights = self.occurrence_weights(ids, mask).to(self.weight.weight.dtype)
        if presence is not None:
            weights = weights * presence.to(weights.dtype)
        rows = self.weight(ids) if self.ratio is None else self.weight(ids) * self.ratio[ids]
        return (rows * weights.unsqueeze(-1)).sum(dim=1)


def bigram_keys(texts, vocab_size: int) -> torch.Tensor:
    """The sorted distinct bigrams of ``texts`` as keys ``first * vocab_size + second``.

    Args:
        texts (Sequence[Sequence[int]]): Token ids per text.
        vocab_size (int): Number of token ids.

    Returns:
        Tensor: ``[distinct bigrams]`` int64, ascending.
    """
    lengths = torch.tensor([len(ids) for ids in texts], dtype=torch.long)
    flat = torch.tensor(list(itertools.chain.from_iterable(texts)), dtype=torch.long)
    if flat.numel() < 2:
        return torch.zeros(0, dtype=torch.long)
    keys = flat[:-1] * vocab_size + flat[1:]
    ends = lengths.cumsum(0)[:-1] - 1  # a text's last token does not pair with the next text's first
    inside = torch.ones_like(keys, dtype=torch.bool)
    inside[ends[(ends >= 0) & (ends < keys.numel())]] = False
    return torch.unique(keys[inside])


def naive_bayes_scales(counts: torch.Tensor) -> torch.Tensor:
    """``[features, classes]`` scales of the ``nb`` weighting: the magnitudes of the features'
    log-count ratios (:func:`log_count_ratios`; the weights learn their signs).

    Args:
        counts (Tensor): ``[classes, features]`` documents of each class holding each feature.
    """
    return log_count_ratios(counts).abs().t()


def log_count_ratios(counts: torch.Tensor, alpha: float = NB_ALPHA) -> torch.Tensor:
    """Naive-Bayes log-count ratios of each feature for each class against the rest.

    ``r[c, f] = log(p[c, f] / |p[c]|_1) - log(q[c, f] / |q[c]|_1)`` where ``p[c]`` holds the
    feature's (smoothed) counts in class ``c`` and ``q[c]`` those in the other classes.

    Args:
        counts (Tensor): ``[classes, features]`` counts (e.g. documents holding the feature).
        alpha (float): Additive smoothing. (default: :data:`NB_ALPHA`)

    Returns:
        Tensor: ``[classes, features]``; with two classes the rows are each other's negatives.
    """
    p = counts + alpha
    q = counts.sum(0, keepdim=True) - counts + alpha
    return (p / p.sum(1, keepdim=True)).log() - (q / q.sum(1, keepdim=True)).log()


def token_shares(values: torch.Tensor, time: int) -> torch.Tensor:
    """Per token, the values of the n-grams it is part of (a bigram's split evenly).

    Args:
        values (Tensor): ``[n]`` one value per n-gram of an unpadded text, in
            :meth:`NgramHead.ngram_ids` order (``time`` unigrams, then any bigrams).
        time (int): The text's length.

    Returns:
        Tensor: ``[time]``, summing to ``values.sum()``.
    """
    shares = values[:time].clone()
    pairs = values[time:] / 2
    shares[: len(pairs)] += pairs
    shares[1 : len(pairs) + 1] += pairs
    return shares
