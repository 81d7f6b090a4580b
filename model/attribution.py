"""Integrated Gradients on the embedding layer, and predictions from edited embeddings.

Integrated Gradients (Sundararajan et al., 2017) attributes a model output
``F`` to each input feature ``i``::

    IG_i(x) = (x_i - b_i) * ∫_0^1 ∂F(b + α (x - b)) / ∂x_i dα

for a baseline input ``b``. kgft applies it to the token *embeddings*: ``x``
is the ``[time, dim]`` matrix of the text's token vectors, ``b`` repeats one
baseline vector (by default the ``<unk>`` embedding: the model's "a token I
know nothing about"), and a token's attribution is the sum of its ``dim``
feature attributions. The integral is approximated with Gauss–Legendre
quadrature on ``[0, 1]`` (exact for polynomials of degree ``2 n - 1``).

By completeness, the attributions sum to ``F(x) - F(b)``; the difference
between the two is the *completeness delta*, reported so that a user can see
when more steps are needed.

With a knowledge channel (:mod:`model.knowledge.channel`) the input is the
LSTM's whole input, each token's word vector beside its concept vector, plus
the text's bag-of-ancestors weights. The baseline for a token is the ``<unk>`` word vector
beside a zero concept vector; for the bag it is the empty bag. A token's attribution
is split into its word part and its *channel* part, and each bag feature
gets its own attribution. With the linear n-gram head (:mod:`model.ngram_head`),
each n-gram's presence (1 at the text, 0 at the baseline) is an input too, and its
attribution goes to its tokens (a bigram's split evenly), inside their word part.
Completeness covers all of them.

Determinism: the model runs in eval mode (no dropout) and, on CUDA, with
cuDNN disabled for the duration (cuDNN's RNN backward refuses eval mode);
nothing random happens, so the same text gives the same attributions.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
import torch
from torch import nn

from core.errors import ConfigError, ModelError
from model.knowledge.channel_inputs import ChannelBatch
from model.ngram_head import token_shares


def gauss_legendre(n_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Nodes and weights of ``n_steps``-point Gauss–Legendre quadrature on ``[0, 1]``.

    Args:
        n_steps (int): Number of nodes (>= 1).

    Returns:
        tuple[Tensor, Tensor]: ``alphas`` and ``weights``, float64, ``weights.sum() == 1``.

    Raises:
        ConfigError: ``n_steps`` < 1.
    """
    if n_steps < 1:
        raise ConfigError(f"integrated gradients needs at least 1 step, got {n_steps}")
    nodes, weights = np.polynomial.legendre.leggauss(n_steps)
    return torch.from_numpy((nodes + 1.0) / 2.0), torch.from_numpy(weights / 2.0)


def integrated_gradients(
    func: Callable[[torch.Tensor], torch.Tensor],
    inputs: torch.Tensor,
    baseline: torch.Tensor,
    n_steps: int = 50,
    batch_size: int = 16,
) -> tuple[torch.Tensor, float, float, float]:
    """Integrated Gradients of a scalar function of one input tensor.

    Args:
        func (Callable[[Tensor], Tensor]): Maps a batch ``[m, *shape]`` of inputs to
            ``[m]`` outputs (one scalar per input, e.g. a class probability).
        inputs (Tensor): The input ``x``, shape ``shape``.
        baseline (Tensor): The baseline ``b``, broadcastable to ``shape``.
        n_steps (int): Quadrature nodes. (default: ``50``)
        batch_size (int): Interpolated inputs evaluated per call of ``func``. (default: ``16``)

    Returns:
        tuple: ``(attributions, output, baseline_output, delta)``: float64 attributions
        with the shape of ``inputs``; ``F(x)``; ``F(b)``; and the completeness delta
        ``sum(attributions) - (F(x) - F(b))``.

    Raises:
        ConfigError: ``batch_size`` < 1 or ``n_steps`` < 1.
    """
    if batch_size < 1:
        raise ConfigError(f"attribution batch size must be positive, got {batch_size}")
    alphas, weights = gauss_legendre(n_steps)
    x = inputs.detach()
    b = baseline.detach().expand_as(x).to(x.dtype)
    diff = x - b
    grad_sum = torch.zeros_like(x, dtype=torch.float64)
    for lo in range(0, n_steps, batch_size):
        a = alphas[lo : lo + batch_size].to(x.device, x.dtype)
        w = weights[lo : lo + batch_size].to(x.device, torch.float64)
        shape = (-1,) + (1,) * x.dim()
        points = (b.unsqueeze(0) + a.view(shape) * diff.unsqueeze(0)).requires_grad_(True)
        out = func(points)
        (grads,) = torch.autograd.grad(out.sum(), points)
        grad_sum += (grads.to(torch.float64) * w.view(shape)).sum(0)
    attributions = diff.to(torch.float64) * grad_sum
    with torch.no_grad():
        ends = func(torch.stack([x, b])).to(torch.float64)
    output, base_output = float(ends[0]), float(ends[1])
    delta = float(attributions.sum()) - (output - base_output)
    return attributions, output, base_output, delta


@contextlib.contextmanager
def deterministic_eval(model: nn.Module) -> Iterator[nn.Module]:
    """Eval mode with cuDNN off, restoring the model's mode afterwards.

    Eval mode disables every dropout; disabling cuDNN lets the RNN backward run
    in eval mode on CUDA (cuDNN refuses it) and avoids its non-deterministic
    kernels. On CPU the cuDNN switch is a no-op.

    Args:
        model (nn.Module): The model.
    """
    was_training = model.training
    model.eval()
    try:
        with torch.backends.cudnn.flags(enabled=False):
            yield model
    finally:
        model.train(was_training)


def _embedding(model: nn.Module) -> nn.Embedding:
    emb = getattr(model, "embedding", None)
    if not isinstance(emb, nn.Embedding) or not hasattr(model, "forward_embedded") or not hasattr(model, "embed"):
        raise ModelError(
            f"{type(model).__name__} cannot be explained: it needs an `embedding` layer, `embed` and `forward_embedded`"
        )
    return emb


def baseline_vector(model: nn.Module, index: int | None) -> torch.Tensor:
    """The baseline embedding: row ``index`` of the model's embedding, or zeros.

    Args:
        model (nn.Module): A classifier with an ``embedding`` layer.
        index (int, optional): The token id whose vector is the baseline
            (kgft uses ``<unk>``); ``None`` gives the zero vector.

    Returns:
        Tensor: ``[dim]``, detached.
    """
    emb = _embedding(model)
    if index is None:
        return torch.zeros(emb.embedding_dim, device=emb.weight.device, dtype=emb.weight.dtype)
    return emb.weight[index].detach().clone()


@dataclass
class TokenAttribution:
    """Integrated Gradients of one text's predicted-class probability.

    Args:
        probabilities (list[float]): Softmax probabilities of every class.
        target (int): The class attributed (the predicted one unless asked otherwise).
        attributions (list[float]): One value per token (sum over its input dims, plus its
            share of the n-gram head's attribution).
        baseline_probability (float): ``p(target)`` with every token at the baseline.
        delta (float): Completeness delta ``sum(attributions) - (probability - baseline_probability)``.
        n_steps (int): Quadrature nodes used.
        probability (float): ``p(target)`` at the text as the attribution's own forward pass
            computed it (equal to ``probabilities[target]`` up to float32 rounding); the
            delta refers to it. (default: ``nan``)
        channel_attributions (list[float]): Per token, the part of ``attributions`` that went
            through its concept vector (zeros without a channel). (default: ``[]``)
        bag_attributions (list[float]): Per bag feature of the text (in the order of its
            ``ChannelBatch.bag_ids``), its attribution. (default: ``[]``)
    """

    probabilities: list[float]
    target: int
    attributions: list[float]
    baseline_probability: float
    delta: float
    n_steps: int
    probability: float = float("nan")
    channel_attributions: list[float] = field(default_factory=list)
    bag_attributions: list[float] = field(default_factory=list)


def _as_batch(token_ids) -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.as_tensor(token_ids, dtype=torch.long)
    if ids.dim() != 1 or ids.numel() == 0:
        raise ModelError("a text to explain needs at least one token")
    return ids.unsqueeze(0), torch.tensor([ids.numel()])


def _inputs(model: nn.Module, ids: torch.Tensor, channel: ChannelBatch | None) -> torch.Tensor:
    """``[time, input_dim]``: the LSTM's input vectors of one text (word ⊕ concept vectors)."""
    emb = _embedding(model)
    device = emb.weight.device
    channel = channel.to(device) if channel is not None else None
    return model.embed(ids.to(device), channel)[0]


def _bag(channel: ChannelBatch | None, weights: torch.Tensor) -> ChannelBatch | None:
    """``channel``'s bag repeated for each row of ``weights`` (``[points, features]``)."""
    if channel is None:
        return None
    points, m = weights.shape
    ids = channel.bag_ids.to(weights.device).repeat(points)
    offsets = torch.arange(points, device=weights.device) * m
    return ChannelBatch(channel.concepts, ids, offsets, weights.reshape(-1))


def predict_proba(model: nn.Module, token_ids, channel: ChannelBatch | None = None, removed=(),
                  baseline_index: int | None = None) -> list[float]:
    """Class probabilities of one text, deterministically, optionally with tokens removed.

    Args:
        model (nn.Module): A classifier with ``embedding`` and ``forward_embedded``.
        token_ids (Sequence[int] or Tensor): The text's token ids.
        channel (ChannelBatch, optional): The text's knowledge-channel inputs (required
            when the model has a channel). (default: ``None``)
        removed (Iterable[int]): Token positions to remove (counterfactual): their input
            vectors reset to the baseline input, and n-grams containing them left out of
            the n-gram head. (default: none)
        baseline_index (int, optional): Baseline token id of removed positions (``None``: zeros).

    Returns:
        list[float]: One probability per class.
    """
    ids, lengths = _as_batch(token_ids)
    device = _embedding(model).weight.device
    removed = sorted({int(p) for p in removed})
    with deterministic_eval(model), torch.no_grad():
        vectors = _inputs(model, ids, channel)
        if removed:
            vectors = vectors.clone()
            vectors[removed] = baseline_input(model, baseline_index)
        bag = _bag(channel.to(device), channel.bag_weights.to(device).unsqueeze(0)) if channel is not None else None
        presence = _ngram_presence(model, ids, removed)
        logits = model.forward_embedded(vectors.unsqueeze(0), lengths.to(device), bag,
                                        _ngram_logits(model, ids, presence))
    return torch.softmax(logits.float(), dim=-1)[0].tolist()


def _ngram_presence(model: nn.Module, ids: torch.Tensor, removed=()) -> torch.Tensor | None:
    """``[1, n]``: 1 for each n-gram of the text, 0 for those containing a ``removed`` position."""
    head = getattr(model, "ngram_head", None)
    if head is None:
        return None
    time = ids.shape[1]
    device = head.weight.weight.device
    unigrams = torch.ones(time, device=device)
    unigrams[list(removed)] = 0.0
    bigrams = unigrams[:-1] * unigrams[1:] if head.ngrams == 2 else unigrams[:0]
    return torch.cat([unigrams, bigrams]).unsqueeze(0)


def _ngram_logits(model: nn.Module, ids: torch.Tensor, presence: torch.Tensor | None) -> torch.Tensor | None:
    """The n-gram head's logits of one text (``ids``: ``[1, time]``), one row per row of ``presence``."""
    head = getattr(model, "ngram_head", None)
    if head is None:
        return None
    device = head.weight.weight.device
    points = presence.shape[0]
    lengths = torch.full((points,), ids.shape[1], device=device)
    return head(ids.to(device).expand(points, -1), lengths, presence)


def attribute_tokens(
    model: nn.Module,
    token_ids,
    baseline_index: int | None,
    target: int | None = None,
    n_steps: int = 50,
    batch_size: int = 16,
    channel: ChannelBatch | None = None,
) -> TokenAttribution:
    """Integrated Gradients of the target class probability over one text's tokens.

    Args:
        model (nn.Module): A classifier with ``embedding`` and ``forward_embedded``
            (``model.classifier.BiLSTMClassifier``).
        token_ids (Sequence[int] or Tensor): The text's token ids (one text, unpadded).
        baseline_index (int, optional): Token id whose embedding is the baseline;
            ``None`` uses the zero vector.
        target (int, optional): Class to explain. (default: the predicted class)
        n_steps (int): Quadrature nodes. (default: ``50``)
        batch_size (int): Interpolation points per forward pass. (default: ``16``)
        channel (ChannelBatch, optional): The text's knowledge-channel inputs (required
            when the model has a channel). (default: ``None``)

    Returns:
        TokenAttribution: Probabilities, attributions and the completeness delta.
    """
    device = _embedding(model).weight.device
    ids, lengths = _as_batch(token_ids)
    probs = predict_proba(model, ids[0], channel)
    if target is None:
        target = int(np.argmax(probs))
    if not 0 <= target < len(probs):
        raise ConfigError(f"class index {target} is outside 0..{len(probs) - 1}")
    with deterministic_eval(model):
        with torch.no_grad():
            tokens = _inputs(model, ids, channel)
        steps, width = tokens.shape
        bag_weights = channel.bag_weights.to(device, tokens.dtype) if channel is not None else tokens.new_zeros(0)
        presence = _ngram_presence(model, ids)
        presence = presence[0].to(tokens.dtype) if presence is not None else tokens.new_zeros(0)
        x = torch.cat([tokens.reshape(-1), bag_weights, presence])
        base = torch.cat([baseline_input(model, baseline_index).repeat(steps), torch.zeros_like(bag_weights),
                          torch.zeros_like(presence)])
        bag_end = steps * width + len(bag_weights)

        def prob_of_target(points: torch.Tensor) -> torch.Tensor:
            lens = lengths.to(device).expand(points.shape[0])
            embedded = points[:, : steps * width].reshape(-1, steps, width)
            ngram_logits = _ngram_logits(model, ids, points[:, bag_end:]) if len(presence) else None
            logits = model.forward_embedded(embedded, lens, _bag(channel, points[:, steps * width : bag_end]),
                                            ngram_logits)
            return torch.softmax(logits, dim=-1)[:, target]

        attr, prob, base_prob, delta = integrated_gradients(prob_of_target, x, base, n_steps, batch_size)
    per_dim = attr[: steps * width].reshape(steps, width)
    totals = per_dim.sum(-1)
    if len(presence):
        totals = totals + token_shares(attr[bag_end:], steps)
    word_dim = _embedding(model).embedding_dim
    return TokenAttribution(
        probabilities=probs,
        target=target,
        attributions=totals.tolist(),
        baseline_probability=base_prob,
        delta=delta,
        n_steps=n_steps,
        probability=prob,
        channel_attributions=per_dim[:, word_dim:].sum(-1).tolist(),
        bag_attributions=attr[steps * width : bag_end].tolist(),
    )


def baseline_input(model: nn.Module, index: int | None) -> torch.Tensor:
    """One token's baseline input: the baseline word vector beside a zero concept vector (with a channel)."""
    word = baseline_vector(model, index)
    channel = getattr(model, "channel", None)
    if channel is None:
        return word
    return torch.cat([word, word.new_zeros(channel.config.concept_dim)])
