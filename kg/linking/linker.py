"""Dictionary entity linker: ontology labels and synonyms matched in text.

Labels are normalized into piece sequences (:mod:`kg.linking.normalize`) and
put in one Aho-Corasick automaton (pyahocorasick) over piece strings, so a
document is scanned once whatever the number of labels. Matches are
multi-word, aligned to piece (hence word) boundaries, case-, accent- and
punctuation-normalized; overlapping matches are resolved leftmost-longest into
non-overlapping mentions. A label shared by several entities links to all of
them. Acronym labels (``ALL``, ``AIDS``) match only text written in capitals
(:func:`kg.linking.normalize.is_acronym`): give the linker tokens with their case.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import ahocorasick

from core.errors import DataError
from core.fsutil import read_json, write_json_atomic
from kg.linking.normalize import ACRONYM_MARK, cased_token_pieces, label_keys, pieces_with_spans, token_pieces

log = logging.getLogger(__name__)

_FORMAT = "kgft-linker"
_VERSION = 1


@dataclass(frozen=True)
class Mention:
    """An entity mention in a text.

    Args:
        start (int): Character offset of the first character.
        end (int): Character offset after the last character.
        surface (str): ``text[start:end]``.
        entities (tuple[str, ...]): IRIs of the entities the label belongs to.
    """

    start: int
    end: int
    surface: str
    entities: tuple[str, ...]


@dataclass(frozen=True)
class TokenMention:
    """An entity mention over tokens ``tokens[start:end]``.

    Args:
        start (int): Index of the first token.
        end (int): Index after the last token.
        entities (tuple[str, ...]): IRIs of the linked entities.
    """

    start: int
    end: int
    entities: tuple[str, ...]


def _block(seq: Sequence[str]) -> str:
    # every piece is wrapped in spaces: " a  b " only matches whole pieces, and
    # adjacent matches never share a character
    return "".join(f" {p} " for p in seq)


@dataclass
class EntityLinker:
    """Longest-match dictionary linker over normalized labels.

    Build it with :meth:`from_labels` (or :meth:`from_store`); use :meth:`link`
    on raw text or :meth:`link_tokens` on :class:`model.text.Tokenizer` output.

    Args:
        entries (dict[str, tuple[str, ...]]): Normalized key (pieces joined by
            spaces) → entity IRIs.
        options (dict): How the entries were built (saved with them). (default: ``{}``)
    """

    entries: dict[str, tuple[str, ...]]
    options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._keys = list(self.entries)
        self._acronyms = frozenset(p for key in self._keys if ACRONYM_MARK in key
                                   for p in key.split(" ") if p.startswith(ACRONYM_MARK))
        automaton = ahocorasick.Automaton()
        for i, key in enumerate(self._keys):
            automaton.add_word(_block(key.split(" ")), (i, key.count(" ") + 1))
        if self._keys:
            automaton.make_automaton()
        self._automaton = automaton

    # ---------------------------------------------------------------- build
    @property
    def fold(self) -> bool:
        """Whether labels and text are matched with plurals folded."""
        return bool(self.options.get("fold_plurals", False))

    @classmethod
    def from_labels(
        cls, labels: Iterable[Sequence[str]], *, invert_commas: bool = True, min_chars: int = 2,
        fold_plurals: bool = False,
    ) -> "EntityLinker":
        """Build a linker from ``(entity_iri, label)`` pairs.

        Args:
            labels (Iterable[Sequence[str]]): ``(iri, label)`` pairs, or
                ``(iri, predicate, label)`` triples as ``Store.labels()`` yields.
            invert_commas (bool): Also match "Y X" for a label "X, Y" (MeSH
                inverted forms). (default: ``True``)
            min_chars (int): Ignore labels whose normalized form is shorter
                (single letters link noise). (default: ``2``)
            fold_plurals (bool): Match singular and plural forms alike
                (:func:`kg.linking.normalize.fold_plural`). (default: ``False``)

        Returns:
            EntityLinker: The linker.
        """
        table: dict[str, set[str]] = {}
        n = 0
        for row in labels:
            iri, text = row[0], row[-1]
            n += 1
            if not text:
                continue
            for key in label_keys(str(text), invert_commas=invert_commas, min_chars=min_chars, fold=fold_plurals):
                table.setdefault(key, set()).add(str(iri))
        entries = {k: tuple(sorted(v)) for k, v in sorted(table.items())}
        log.info("entity linker: %d labels -> %d keys", n, len(entries))
        return cls(entries, {"invert_commas": invert_commas, "min_chars": min_chars, "labels": n,
                             "fold_plurals": fold_plurals})

    def unlinked(self, rows: Iterable[tuple[str, str | None]]) -> "EntityLinker":
        """A linker where each ``(phrase, concept)`` no longer links (``concept`` ``None``: to anything)."""
        invert = bool(self.options.get("invert_commas", True))
        drop: dict[str, set[str] | None] = {}
        for phrase, concept in rows:
            for key in label_keys(phrase, invert_commas=invert, min_chars=1, fold=self.fold):
                if concept is None or drop.get(key, set()) is None:
                    drop[key] = None
                else:
                    drop.setdefault(key, set()).add(concept)
        entries = {}
        for key, iris in self.entries.items():
            gone = drop.get(key, set())
            kept = () if gone is None else tuple(i for i in iris if i not in gone)
            if kept:
                entries[key] = kept
        return EntityLinker(entries, dict(self.options))

    def without(self, entities: Iterable[str]) -> "EntityLinker":
        """A linker that no longer links ``entities`` (keys left with no entity are dropped)."""
        drop = set(entities)
        entries = {k: kept for k, v in self.entries.items() if (kept := tuple(e for e in v if e not in drop))}
        return EntityLinker(entries, {**self.options, "dropped": len(drop) + int(self.options.get("dropped", 0))})

    @classmethod
    def from_store(cls, store, **kwargs) -> "EntityLinker":
        """Build a linker from every label and synonym of a :class:`kg.store_protocol.Store`."""
        return cls.from_labels(store.labels(), **kwargs)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def entity_count(self) -> int:
        """Number of distinct entities with at least one label."""
        return len({iri for iris in self.entries.values() for iri in iris})

    # ---------------------------------------------------------------- match
    def _match(self, seq: Sequence[str]) -> list[tuple[int, int, int]]:
        """Leftmost-longest non-overlapping matches as (first piece, end piece, key id)."""
        if not seq or not self._keys:
            return []
        doc = _block(seq)
        end_to_piece: dict[int, int] = {}
        pos = 0
        for k, p in enumerate(seq):
            pos += len(p) + 2
            end_to_piece[pos - 1] = k
        candidates = []
        for end_char, (key_id, n_pieces) in self._automaton.iter(doc):
            last = end_to_piece[end_char]
            candidates.append((last - n_pieces + 1, -n_pieces, key_id))
        candidates.sort()
        out = []
        next_free = 0
        for first, neg_len, key_id in candidates:
            if first >= next_free:
                out.append((first, first - neg_len, key_id))
                next_free = first - neg_len
        return out

    def link(self, text: str) -> list[Mention]:
        """Find entity mentions in raw text.

        Args:
            text (str): The text.

        Returns:
            list[Mention]: Non-overlapping mentions in text order.
        """
        spans = list(pieces_with_spans(text, self.fold, self._acronyms))
        seq = [p for p, _, _ in spans]
        out = []
        for first, end, key_id in self._match(seq):
            start_char, end_char = spans[first][1], spans[end - 1][2]
            out.append(Mention(start_char, end_char, text[start_char:end_char],
                               self.entries[self._keys[key_id]]))
        return out

    def link_tokens(self, tokens: Sequence[str]) -> list[TokenMention]:
        """Find entity mentions over tokens (e.g. :class:`model.text.Tokenizer` output).

        A mention covers whole tokens: ``tokens[start:end]``.

        Args:
            tokens (Sequence[str]): Tokens of one text, with their case (lower-cased tokens
                never match an acronym label).

        Returns:
            list[TokenMention]: Non-overlapping mentions in token order.
        """
        seq: list[str] = []
        owner: list[int] = []
        fold, acronyms = self.fold, self._acronyms
        for i, token in enumerate(tokens):
            if acronyms and token.isupper():
                parts = cased_token_pieces(token, fold, acronyms)
            else:
                parts = token_pieces(token, fold)
            for p in parts:
                seq.append(p)
                owner.append(i)
        return [
            TokenMention(owner[first], owner[end - 1] + 1, self.entries[self._keys[key_id]])
            for first, end, key_id in self._match(seq)
        ]

    # ---------------------------------------------------------------- files
    def save(self, path: str | os.PathLike) -> Path:
        """Write the linker as JSON (atomically; no pickle).

        Args:
            path (str or PathLike): Target file.

        Returns:
            Path: The written file.
        """
        data = {"format": _FORMAT, "version": _VERSION, "options": self.options,
                "entries": [[k, list(v)] for k, v in self.entries.items()]}
        return write_json_atomic(path, data, ensure_ascii=False)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "EntityLinker":
        """Read a linker written by :meth:`save`.

        Raises:
            DataError: missing file or not a kgft linker file.
            ParseError: invalid JSON.
        """
        path = Path(path)
        data = read_json(path, "linker file")
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise DataError(f"{path} is not a kgft entity-linker file")
        if data.get("version") != _VERSION:
            raise DataError(f"{path}: unsupported linker version {data.get('version')!r}")
        try:
            entries = {str(k): tuple(str(i) for i in v) for k, v in data["entries"]}
        except (KeyError, TypeError, ValueError):
            raise DataError(f"{path}: malformed linker entries") from None
        return cls(entries, dict(data.get("options") or {}))
