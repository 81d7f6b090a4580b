"""A linear n-gram head beside the BiLSTM: the "wide" part of a wide-and-deep classifier.

Class logits are the sum, over a text's unigrams and (hashed) bigrams, of one
learned weight row each, divided by the square root of their count (the
length normalization of a unit-length count vector) and scaled by
:data:`GAIN`, as in fastText's linear model. A BiLSTM trained from scratch on a few
thousand texts reads word identity poorly, while a linear model over n-grams
is the classic strong floor on such data (TF-IDF + logistic regression); the
sum of both is a stronger baseline than either, for every arm alike.

Bigrams are hashed into ``buckets`` rows after the vocabulary's; padding
positions (and bigrams reaching past a text's length) are masked out. The rows
start at zero, so training starts from the BiLSTM's logits.
"""

from __future__ import annotations

import torch
from torch import nn

#: Output scale of the head: under Adam, its rows' effective learning rate relative to the BiLSTM's.
GAIN = 10.0
#: Multiplier of the bigram hash (a prime larger than any vocabulary kgft builds).
_HASH_PRIME = 1_000_003


class NgramHead(nn.Module):
    """Length-normalized sum of per-n-gram class weights over a text's unigrams and hashed bigrams.

    Args:
        vocab_size (int): Number of token ids.
        num_classes (int): Number of labels.
        ngrams (int): 1 (unigrams) or 2 (unigrams and bigrams).
        buckets (int): Hash buckets for bigrams (ignored when ``ngrams`` is 1).
    """

    def __init__(self, vocab_size: int, num_classes: int, ngrams: int, buckets: int) -> None:
        super().__init__()
        if ngrams not in (1, 2):
            raise ValueError(f"ngrams must be 1 or 2, got {ngrams}")
        self.vocab_size, self.ngrams, self.buckets = vocab_size, ngrams, buckets
        rows = vocab_size + (buckets if ngrams == 2 else 0)
        self.weight = nn.Embedding(rows, num_classes)
        nn.init.zeros_(self.weight.weight)

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
            pairs = (tokens[:, :-1] * _HASH_PRIME + tokens[:, 1:]) % self.buckets + self.vocab_size
            ids = torch.cat([ids, pairs], dim=1)
            mask = torch.cat([mask, positions[:-1] < lengths - 1], dim=1)
        return ids, mask

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor,
                presence: torch.Tensor | None = None) -> torch.Tensor:
        """``[batch, num_classes]`` logits: ``GAIN`` x the sum of the n-grams' rows / sqrt(their count).

        Args:
            tokens (Tensor): ``[batch, time]`` token ids.
            lengths (Tensor): ``[batch]`` true lengths.
            presence (Tensor, optional): ``[batch, n]`` weights scaling each n-gram's row
                (1: present, 0: absent) while the normalization still uses the text's n-gram
                count, so the logits are linear in them (used by attribution). (default: all 1)
        """
        ids, mask = self.ngram_ids(tokens, lengths)
        valid = mask.to(self.weight.weight.dtype)
        weights = valid if presence is None else valid * presence.to(valid.dtype)
        total = (self.weight(ids) * weights.unsqueeze(-1)).sum(dim=1)
        return GAIN * total / valid.sum(dim=1, keepdim=True).clamp_min(1.0).sqrt()


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
