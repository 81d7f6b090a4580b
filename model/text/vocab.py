"""Token vocabulary with special tokens, frequency cut-offs and a JSON file form."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from core.fsutil import read_json, write_json_atomic

PAD = "<pad>"
UNK = "<unk>"
ENT = "<ent>"
DEFAULT_SPECIALS = (PAD, UNK)
_FORMAT = "kgft-vocab"
_VERSION = 1


class Vocab:
    """A mapping between tokens and integer ids.

    Specials come first, in the given order (so ``<pad>`` is 0 and ``<unk>`` is
    1 by default); the other tokens follow by descending frequency, ties broken
    by the token itself, so the same corpus always gives the same ids.

    Args:
        itos (Sequence[str]): Tokens in id order.
        specials (Sequence[str]): Which leading tokens are specials; must start
            ``itos`` and contain ``<pad>`` and ``<unk>``.
            (default: ``("<pad>", "<unk>")``)
        counts (dict[str, int], optional): Corpus frequency of each token.
            (default: ``None``)

    Raises:
        DataError: duplicate tokens or specials that are not a prefix of ``itos``.
    """

    def __init__(
        self,
        itos: Sequence[str],
        specials: Sequence[str] = DEFAULT_SPECIALS,
        counts: dict[str, int] | None = None,
    ) -> None:
        from core.errors import DataError

        self.itos: list[str] = list(itos)
        self.specials: tuple[str, ...] = tuple(specials)
        if tuple(self.itos[: len(self.specials)]) != self.specials:
            raise DataError("vocabulary specials must be its first tokens, in order")
        for needed in (PAD, UNK):
            if needed not in self.specials:
                raise DataError(f"vocabulary needs the special token {needed}")
        self.stoi: dict[str, int] = {tok: i for i, tok in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            dup = [t for t, c in Counter(self.itos).items() if c > 1][:5]
            raise DataError(f"vocabulary has duplicate tokens: {dup}")
        self.counts: dict[str, int] = dict(counts or {})
        self.pad_index: int = self.stoi[PAD]
        self.unk_index: int = self.stoi[UNK]

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        min_freq: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = DEFAULT_SPECIALS,
    ) -> "Vocab":
        """Count tokens and keep the frequent ones.

        Args:
            token_lists (Iterable[Sequence[str]]): Tokenized texts.
            min_freq (int): Drop tokens seen fewer times. (default: ``1``)
            max_size (int, optional): At most this many entries, specials
                included. (default: ``None``, no limit)
            specials (Sequence[str]): Special tokens, first in the vocabulary;
                ``<pad>`` and ``<unk>`` are added if missing.
                (default: ``("<pad>", "<unk>")``)

        Returns:
            Vocab: The vocabulary.

        Raises:
            ConfigError: ``min_freq`` < 1 or ``max_size`` too small for the specials.
        """
        from core.errors import ConfigError

        specials = list(dict.fromkeys(specials))
        for needed in reversed(DEFAULT_SPECIALS):
            if needed not in specials:
                specials.insert(0, needed)
        if min_freq < 1:
            raise ConfigError(f"min_freq must be at least 1, got {min_freq}")
        if max_size is not None and max_size < len(specials):
            raise ConfigError(
                f"max_size {max_size} is smaller than the {len(specials)} special tokens"
            )
        counter: Counter[str] = Counter()
        for tokens in token_lists:
            counter.update(tokens)
        special_set = set(specials)
        kept = [(t, c) for t, c in counter.items() if c >= min_freq and t not in special_set]
        kept.sort(key=lambda tc: (-tc[1], tc[0]))
        if max_size is not None:
            kept = kept[: max_size - len(specials)]
        itos = specials + [t for t, _ in kept]
        return cls(itos, specials=specials, counts=dict(kept))

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        return self.stoi.get(token, self.unk_index)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos and self.specials == other.specials

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, specials={list(self.specials)})"

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Token ids, with ``<unk>`` for tokens not in the vocabulary.

        Args:
            tokens (Sequence[str]): Tokens.

        Returns:
            list[int]: Ids.
        """
        get, unk = self.stoi.get, self.unk_index
        return [get(t, unk) for t in tokens]

    def decode(self, ids: Sequence[int], skip_pad: bool = True) -> list[str]:
        """Tokens for ids.

        Args:
            ids (Sequence[int]): Ids (ints or a 1-d tensor).
            skip_pad (bool): Leave out ``<pad>``. (default: ``True``)

        Returns:
            list[str]: Tokens.

        Raises:
            DataError: an id outside the vocabulary.
        """
        from core.errors import DataError

        out = []
        n = len(self.itos)
        for i in ids:
            i = int(i)
            if not 0 <= i < n:
                raise DataError(f"token id {i} is outside the vocabulary (size {n})")
            if skip_pad and i == self.pad_index:
                continue
            out.append(self.itos[i])
        return out

    def to_dict(self) -> dict:
        """The JSON-ready form written by :meth:`save`."""
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "specials": list(self.specials),
            "itos": self.itos,
            "counts": [self.counts.get(t, 0) for t in self.itos],
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the vocabulary as JSON (atomically).

        Args:
            path (str or PathLike): Target file.

        Returns:
            Path: The written file.
        """
        return write_json_atomic(path, self.to_dict(), ensure_ascii=False)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocab":
        """Read a vocabulary written by :meth:`save`.

        Args:
            path (str or PathLike): The JSON file.

        Returns:
            Vocab: The vocabulary.

        Raises:
            DataError: missing, unreadable or not a kgft vocabulary file.
        """
        from core.errors import DataError

        path = Path(path)
        data = read_json(path, "vocabulary file")
        if not isinstance(data, dict) or data.get("format") != _FORMAT or "itos" not in data:
            raise DataError(f"{path} is not a kgft vocabulary file")
        if data.get("version") != _VERSION:
            raise DataError(f"{path}: unsupported vocabulary version {data.get('version')!r}")
        itos = data["itos"]
        counts = data.get("counts") or []
        return cls(
            itos,
            specials=data.get("specials", DEFAULT_SPECIALS),
            counts={t: int(c) for t, c in zip(itos, counts) if c},
        )
