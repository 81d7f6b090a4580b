"""Seeded, stratified selection of examples (validation carving, subsampling)."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Sequence, TypeVar

T = TypeVar("T")


def stratified_indices(labels: Sequence[str], fraction: float, seed: int) -> list[int]:
    """Pick about ``fraction`` of the indices, the same share of every label.

    Each label keeps ``round(fraction * count)`` items (at least one when the
    fraction is positive and the label has an item), chosen with
    ``random.Random(seed)``. The result is sorted, so the original order is kept.

    Args:
        labels (Sequence[str]): Label of each item.
        fraction (float): Share to pick, in [0, 1].
        seed (int): Random seed.

    Returns:
        list[int]: Picked indices, ascending.
    """
    if fraction >= 1.0:
        return list(range(len(labels)))
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    rng = random.Random(seed)
    picked: list[int] = []
    for label in sorted(by_label):
        group = by_label[label]
        k = round(fraction * len(group))
        if fraction > 0 and k == 0:
            k = 1
        picked.extend(rng.sample(group, min(k, len(group))))
    return sorted(picked)


def stratified_split(items: Sequence[T], labels: Sequence[str], fraction: float, seed: int) -> tuple[list[T], list[T]]:
    """Split ``items`` into (rest, picked) with :func:`stratified_indices`."""
    chosen = set(stratified_indices(labels, fraction, seed))
    picked = [x for i, x in enumerate(items) if i in chosen]
    rest = [x for i, x in enumerate(items) if i not in chosen]
    return rest, picked


def cap(items: Sequence[T], labels: Sequence[str], limit: int | None, seed: int) -> list[T]:
    """At most ``limit`` items, a stratified seeded sample when trimming is needed."""
    if limit is None or len(items) <= limit:
        return list(items)
    if limit <= 0:
        return []
    chosen = stratified_indices(labels, limit / len(items), seed)
    if len(chosen) > limit:
        chosen = sorted(random.Random(seed).sample(chosen, limit))
    return [items[i] for i in chosen]
