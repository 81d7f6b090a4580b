"""Encoded examples, deterministic batch orders and padding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from model.knowledge.channel_inputs import ChannelBatch, ChannelDoc, collate_channel


@dataclass
class EncodedSplit:
    """One split as token ids and label ids.

    Args:
        ids (list[list[int]]): Token ids per example (non-empty, already truncated).
        labels (list[int]): Label id per example.
        channel (list[ChannelDoc], optional): The knowledge channel's input per example. (default: ``None``)
        slots (int): Concept ids per token in ``channel``. (default: ``0``)
    """

    ids: list[list[int]]
    labels: list[int]
    channel: list[ChannelDoc] | None = None
    slots: int = 0

    def __len__(self) -> int:
        return len(self.labels)

    def num_tokens(self) -> int:
        """Total tokens in the split."""
        return sum(len(x) for x in self.ids)


def batch_order(n: int, batch_size: int, seed: int, epoch: int, shuffle: bool = True,
                rank: int = 0, world_size: int = 1) -> list[list[int]]:
    """The batches of one epoch, a pure function of ``(seed, epoch)``.

    With several processes (DDP) the shuffled indices are dealt round-robin and
    cut to the same number of batches on every rank (a few examples of the last
    partial round are skipped that epoch), so every rank takes the same number
    of steps.

    Args:
        n (int): Examples.
        batch_size (int): Examples per batch (per process).
        seed (int): Run seed.
        epoch (int): Epoch number (1-based).
        shuffle (bool): Shuffle (training) or keep order (evaluation). (default: ``True``)
        rank (int): This process's rank. (default: ``0``)
        world_size (int): Processes. (default: ``1``)

    Returns:
        list[list[int]]: Example indices per batch, for this rank.
    """
    if shuffle:
        gen = torch.Generator().manual_seed(int(seed) * 100_003 + int(epoch))
        order = torch.randperm(n, generator=gen).tolist()
    else:
        order = list(range(n))
    if world_size > 1:
        per_rank = n // world_size
        order = order[rank::world_size][:per_rank]
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def collate(split: EncodedSplit, indices: Sequence[int],
            pad_index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, ChannelBatch | None]:
    """Pad one batch.

    Args:
        split (EncodedSplit): The data.
        indices (Sequence[int]): Examples of the batch.
        pad_index (int): Padding id.

    Returns:
        tuple: ``[B, T]`` token ids, ``[B]`` lengths, ``[B]`` labels and the
        :class:`~model.knowledge.channel_inputs.ChannelBatch` (``None`` without a channel).
    """
    seqs = [split.ids[i] for i in indices]
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    tokens = torch.full((len(seqs), int(lengths.max())), pad_index, dtype=torch.long)
    for row, seq in enumerate(seqs):
        tokens[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
    labels = torch.tensor([split.labels[i] for i in indices], dtype=torch.long)
    channel = None
    if split.channel is not None:
        channel = collate_channel([split.channel[i] for i in indices], tokens.shape[1], split.slots)
    return tokens, lengths, labels, channel
