"""A linear n-gram head beside the BiLSTM: the "wide" part of a wide-and-deep classifier.

Class logits are the product of a text's TF-IDF vector over its unigrams and
(hashed) bigrams with one learned weight row per n-gram, scaled by
:data:`GAIN`: sublinear term frequency ``1 + log(tf)`` times the inverse document
frequency ``1 + log((1 + n) / (1 + df))`` of the training texts
(:meth:`NgramHead.fit_idf`; scikit-learn's smoothed form), the vector scaled to
unit length. A BiLSTM trained from scratch on a few thousand texts reads word
identity poorly, while TF-IDF + logistic regression is the classic strong floor
on such data; the sum of both is a stronger baseline than either, for every arm alike.

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
        self.register_buffer("idf", torch.ones(rows))

    @torch.no_grad()
    def fit_idf(self, texts) -> None:
        """Set the inverse document frequencies from the training texts' token ids.

        Args:
            texts (Sequence[Sequence[int]]): Token ids per training text.
        """
        df = torch.zeros_like(self.idf)
        for ids in texts:
            rows, mask = self.ngram_ids(torch.tensor([list(ids)], dtype=torch.long), torch.tensor([len(ids)]))
            df[torch.unique(rows[mask]).to(df.device)] += 1
        self.idf.copy_(torch.log((1.0 + len(texts)) / (1.0 + df)) + 1.0)

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

    def occurrence_weights(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``[batch, n]``: each n-gram occurrence's share of its text's unit-length TF-IDF vector, times ``GAIN``.

        An n-gram occurring ``tf`` times has the value ``(1 + log tf) * idf``, split evenly over
        its occurrences; padding gets 0.

        Args:
            ids (Tensor): ``[batch, n]`` row ids (:meth:`ngram_ids`).
            mask (Tensor): ``[batch, n]`` validity mask.
        """
        keys = torch.arange(ids.shape[0], device=ids.device).unsqueeze(1) * self.idf.numel() + ids
        keys = torch.where(mask, keys, torch.full_like(keys, -1))
        _, inverse, counts = torch.unique(keys, return_inverse=True, return_counts=True)
        tf = counts[inverse].to(self.idf.dtype)
        value = (1.0 + tf.log()) * self.idf[ids] * mask.to(self.idf.dtype)
        norm = (value.pow(2) / tf).sum(dim=1, keepdim=True).sqrt().clamp_min(1e-12)
        return GAIN * value / (tf * norm)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor,
                presence: torch.Tensor | None = None) -> torch.Tensor:
        """``[batch, num_classes]`` logits: ``GAIN`` x the text's unit TF-IDF vector times the rows.

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
        return (self.weight(ids) * weights.unsqueeze(-1)).sum(dim=1)


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
