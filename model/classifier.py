"""The classic BiLSTM text classifier kgft fine-tunes.

Token embedding (optionally beside the knowledge channel's concept vectors,
:mod:`model.knowledge.channel`), a bidirectional LSTM that ignores padding
(packed sequences; one layer on CPU runs over the padded batch instead,
:mod:`model.padded_lstm`, the same results in far less time),
dropout and a linear head (plus the channel's bag-of-ancestors logits). The document representation is, by default, the
concatenation of the last layer's final forward and backward hidden states (as
in the well-known IMDB sentiment example); ``pooling="max"`` or ``"mean"``
pools the top layer's outputs over the (unpadded) positions instead (a common
choice for long documents, where the final states must carry the whole text).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from core.validation import require_at_least_one, require_choice, require_fraction, require_non_negative
from model.input_dropout import InputDropout
from model.knowledge.channel import ChannelConfig, KnowledgeChannel
from model.knowledge.channel_inputs import ChannelBatch
from model.ngram_head import WEIGHTINGS, NgramHead
from model.padded_lstm import padded_bilstm

#: Document vectors: final hidden states, or max / mean over the top layer's outputs.
POOLINGS = ("last", "max", "mean")
#: The n-gram head: none, unigrams, unigrams and bigrams.
NGRAMS = (0, 1, 2)


@dataclass(frozen=True)
class ClassifierConfig:
    """Architecture of :class:`BiLSTMClassifier`.

    Args:
        vocab_size (int): Number of token ids (including specials).
        num_classes (int): Number of labels.
        embedding_dim (int): Token embedding size. (default: ``100``)
        hidden (int): LSTM hidden size per direction. (default: ``256``)
        layers (int): LSTM layers. (default: ``2``)
        dropout (float): Dropout between LSTM layers and before the head. (default: ``0.5``)
        pad_index (int): Id of the padding token. (default: ``0``)
        pooling (str): ``last`` (final forward/backward states), ``max`` or ``mean``
            over the top layer's outputs. (default: ``"last"``)
        embedding_dropout (float, optional): Dropout on the LSTM's input vectors;
            ``None`` uses ``dropout``. (default: ``None``)
        init_std (float, optional): Standard deviation of the token embedding's
            initialization; ``None`` keeps PyTorch's N(0, 1). (default: ``None``)
        channel (dict, optional): :class:`~model.knowledge.channel.ChannelConfig` as a dict;
            ``None`` builds no knowledge channel. (default: ``None``)
        ngrams (int): The linear n-gram head (:mod:`model.ngram_head`): 0 (none), 1 (unigrams)
            or 2 (unigrams and bigrams). (default: ``0``)
        ngram_bigrams (int): The n-gram head's bigram rows: the training texts' distinct bigrams
            (:func:`model.ngram_head.bigram_keys`), set by the run from its data. (default: ``0``)
        ngram_weighting (str): The n-gram head's features: ``tfidf`` or ``nb`` (naive-Bayes scaled
            presence; :mod:`model.ngram_head`). (default: ``"tfidf"``)
    """

    vocab_size: int
    num_classes: int
    embedding_dim: int = 100
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.5
    pad_index: int = 0
    pooling: str = "last"
    embedding_dropout: float | None = None
    init_std: float | None = None
    channel: dict | None = None
    ngrams: int = 0
    ngram_bigrams: int = 0
    ngram_weighting: str = "tfidf"

    def __post_init__(self) -> None:
        require_choice(self.pooling, POOLINGS, "pooling")
        require_choice(self.ngrams, NGRAMS, "ngrams")
        require_choice(self.ngram_weighting, WEIGHTINGS, "ngram_weighting")
        require_at_least_one(self, ("vocab_size", "num_classes", "embedding_dim", "hidden", "layers"))
        for name in ("dropout", "embedding_dropout"):
            if getattr(self, name) is not None:
                require_fraction("model", name, getattr(self, name), high_open=True)
        if self.init_std is not None:
            require_non_negative("model", ("init_std",), self)

    def to_dict(self) -> dict:
        """The configuration as a plain dict (saved in checkpoints)."""
        return asdict(self)


class BiLSTMClassifier(nn.Module):
    """Embedding (+ concept vectors) → BiLSTM (packed) → dropout → linear head (+ bag logits).

    Args:
        config (ClassifierConfig): The architecture.
        entity_vectors (Tensor, optional): The channel's graph vectors (see
            :class:`~model.knowledge.channel.KnowledgeChannel`). (default: ``None``)
        seed (int): Seed of the channel's projection. (default: ``0``)
    """

    def __init__(self, config: ClassifierConfig, entity_vectors: torch.Tensor | None = None, seed: int = 0) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=config.pad_index)
        if config.init_std is not None:
            with torch.no_grad():
                self.embedding.weight.normal_(0.0, config.init_std)
                self.embedding.weight[config.pad_index].zero_()
        self.channel = None
        input_dim = config.embedding_dim
        if config.channel is not None:
            channel_config = ChannelConfig(**config.channel)
            self.channel = KnowledgeChannel(channel_config, config.num_classes, entity_vectors, seed)
            input_dim += channel_config.concept_dim
        self.lstm = nn.LSTM(
            input_dim,
            config.hidden,
            num_layers=config.layers,
            bidirectional=True,
            batch_first=True,
            dropout=config.dropout if config.layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(config.dropout)
        rate = config.dropout if config.embedding_dropout is None else config.embedding_dropout
        self.embedding_dropout = InputDropout(rate)
        self.head = nn.Linear(2 * config.hidden, config.num_classes)
        self.ngram_head = None
        if config.ngrams:
            self.ngram_head = NgramHead(config.vocab_size, config.num_classes, config.ngrams, config.ngram_bigrams,
                                        config.ngram_weighting)

    def encode(self, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Document vectors from already embedded tokens.

        Args:
            embedded (Tensor): ``[batch, time, input_dim]`` token vectors (see :meth:`embed`).
            lengths (Tensor): ``[batch]`` true lengths (>= 1), on any device.

        Returns:
            Tensor: ``[batch, 2 * hidden]``: the top layer's final forward and backward
            states, or its outputs pooled over the true positions (``pooling``).
        """
        cpu_lengths = lengths.detach().to("cpu", torch.int64)
        inputs = self.embedding_dropout(embedded)
        if inputs.device.type == "cpu" and self.config.layers == 1:
            states, final = padded_bilstm(self.lstm, inputs, cpu_lengths, states=self.config.pooling != "last")
        else:
            states, final = self._packed(inputs, cpu_lengths)
        if self.config.pooling == "last":
            return final
        mask = (torch.arange(states.shape[1]) < cpu_lengths.unsqueeze(1)).to(states.device).unsqueeze(-1)
        if self.config.pooling == "max":
            return states.masked_fill(~mask, float("-inf")).amax(dim=1)
        return (states * mask).sum(dim=1) / lengths.to(states.device, states.dtype).unsqueeze(1)

    def _packed(self, inputs: torch.Tensor, cpu_lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The LSTM over packed sequences: ``[batch, max length, 2 * hidden]`` outputs and the
        top layer's final forward and backward states, ``[batch, 2 * hidden]``."""
        packed = pack_padded_sequence(inputs, cpu_lengths, batch_first=True, enforce_sorted=False)
        output, (h_n, _) = self.lstm(packed)
        # h_n: [layers * 2, batch, hidden]; the last two rows are the top layer's fwd/bwd states.
        return pad_packed_sequence(output, batch_first=True)[0], torch.cat([h_n[-2], h_n[-1]], dim=-1)

    def embed(self, tokens: torch.Tensor, channel: ChannelBatch | None = None) -> torch.Tensor:
        """``[batch, time, input_dim]``: word embeddings, beside concept vectors with a channel.

        Args:
            tokens (Tensor): ``[batch, time]`` token ids.
            channel (ChannelBatch, optional): The knowledge channel's inputs. (default: ``None``)
        """
        words = self.embedding(tokens)
        if self.channel is None:
            return words
        if channel is None:
            raise ValueError("this classifier has a knowledge channel: pass its inputs")
        return torch.cat([words, self.channel.token_vectors(channel.concepts).to(words.dtype)], dim=-1)

    def forward_embedded(self, embedded: torch.Tensor, lengths: torch.Tensor,
                         channel: ChannelBatch | None = None,
                         ngram_logits: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits from embedded tokens (used by attribution methods).

        Args:
            embedded (Tensor): ``[batch, time, input_dim]`` (see :meth:`embed`).
            lengths (Tensor): ``[batch]`` true lengths.
            channel (ChannelBatch, optional): Adds the bag-of-ancestors logits. (default: ``None``)
            ngram_logits (Tensor, optional): Adds the n-gram head's ``[batch, num_classes]``
                logits (see :meth:`model.ngram_head.NgramHead.forward`). (default: ``None``)

        Returns:
            Tensor: ``[batch, num_classes]`` logits.
        """
        logits = self.head(self.dropout(self.encode(embedded, lengths)))
        if self.channel is not None and channel is not None:
            logits = logits + self.channel.bag_logits(channel).to(logits.dtype)
        if ngram_logits is not None:
            logits = logits + ngram_logits.to(logits.dtype)
        return logits

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor, channel: ChannelBatch | None = None,
                wide: torch.Tensor | None = None) -> torch.Tensor:
        """Class logits.

        Args:
            tokens (Tensor): ``[batch, time]`` token ids, padded with ``pad_index``.
            lengths (Tensor): ``[batch]`` true lengths (>= 1).
            channel (ChannelBatch, optional): The knowledge channel's inputs (required when the
                classifier has a channel). (default: ``None``)
            wide (Tensor, optional): ``[batch, num_classes]`` logits to use instead of the wide
                rows' (n-gram head and bag): the out-of-fold logits of a wide part fitted first,
                while the BiLSTM trains (:mod:`model.train.wide`). (default: ``None``)

        Returns:
            Tensor: ``[batch, num_classes]`` logits.
        """
        embedded = self.embed(tokens, channel)
        if wide is not None:
            logits = self.forward_embedded(embedded, lengths)
            return logits + wide.to(logits.dtype)
        ngram_logits = self.ngram_head(tokens, lengths) if self.ngram_head is not None else None
        return self.forward_embedded(embedded, lengths, channel, ngram_logits)
