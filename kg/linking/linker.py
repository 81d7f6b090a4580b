"""Dictionary entity linker: ontology labels and synonyms matched in text.

Labels are normalized into piece sequences (:mod:`kg.linking.normalize`) and
put in one Aho-Corasick automaton that reads each distinct piece as one character
(ahocorasick-rs, the Rust ``aho-corasick`` crate, with leftmost-longest match
semantics), so a document is scanned once whatever the number of labels and the
automaton itself returns non-overlapping mentions. Matches are multi-word, aligned to piece (hence word)
boundaries, case-, accent- and punctuation-normalized. A label shared by
several entities links to all of them. Acronym labels (``ALL``, ``AIDS``)
match only text written in capitals (:func:`kg.linking.normalize.is_acronym`):
give the linker tokens with their case.
"""

from __future__ import annotations

import logging
import os
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from itertools import accumulate
from typing import Iterable, NamedTuple, Sequence

import ahocorasick_rs

from core.errors import DataError
from core.fsutil import read_json, write_json_atomic
from kg.linking.normalize import ACRONYM_MARK, cased_token_pieces, label_keys, pieces, raw_pieces

log = logging.getLogger(__name__)

_FORMAT = "kgft-linker"
_VERSION = 1
#: The automaton reads each piece a key holds as one character of its own (:func:`_piece_code`), so
#: a key only matches whole pieces; a piece no key holds reads as ``\x00``.
_UNKNOWN_PIECE = "\x00"
#: Distinct pieces the keys of one linker may hold: one code point each, from U+0100, surrogates skipped.
_MAX_PIECES = 0x110000 - 0x100 - 0x800
#: Distinct tokens whose pieces a linker remembers (the memo starts over past it).
_MAX_TOKEN_BLOCKS = 1 << 20


def _piece_code(index: int) -> str:
    """The character the automaton reads for the ``index``-th distinct piece of a linker's keys."""
    if index >= _MAX_PIECES:
        raise DataError(f"the labels hold more than {_MAX_PIECES:,} distinct words: too many for one linker")
    code = 0x100 + index
    return chr(code if code < 0xD800 else code + 0x800)


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


class TokenMention(NamedTuple):
    """An entity mention over tokens ``tokens[start:end]`` (a named tuple: a corpus makes millions).

    Args:
        start (int): Index of the first token.
        end (int): Index after the last token.
        entities (tuple[str, ...]): IRIs of the linked entities.
    """

    start: int
    end: int
    entities: tuple[str, ...]


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
        self._acronyms = frozenset(p for key in self.entries if ACRONYM_MARK in key
                                   for p in key.split(" ") if p.startswith(ACRONYM_MARK))
        known: dict[str, str] = {}
        blocks = ["".join(known.get(p) or known.setdefault(p, _piece_code(len(known))) for p in key.split(" "))
                  for key in self.entries]
        self._automaton = ahocorasick_rs.AhoCorasick(
            blocks, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest) if blocks else None
        self._entities = list(self.entries.values())  # by the automaton's pattern index
        self._known_pieces = known
        self._token_blocks: dict[str, str] = {}

    def __getstate__(self) -> dict:
        """Pickled as its entries and options (the automaton is rebuilt from them)."""
        return {"entries": self.entries, "options": self.options}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def _encode(self, seq: Iterable[str]) -> str:
        """Pieces as the automaton reads them (:data:`_UNKNOWN_PIECE` for those no key holds)."""
        known = self._known_pieces
        return "".join(known.get(p, _UNKNOWN_PIECE) for p in seq)

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
    def _match(self, blocks: list[str]) -> list[tuple[int, int, tuple[str, ...]]]:
        """Leftmost-longest non-overlapping matches over units (pieces or tokens), each given as its
        pieces :meth:`_encode`-d: ``(first unit, end unit, entities)``."""
        if self._automaton is None:
            return []
        text = "".join(blocks)
        found = self._automaton.find_matches_as_indexes(text)
        if not found:
            return []
        entities = self._entities
        if len(text) == len(blocks) and "" not in blocks:  # one character per unit: offsets are unit indexes
            return [(start, end, entities[key]) for key, start, end in found]
        ends = list(accumulate(map(len, blocks)))
        return [(bisect_right(ends, start), bisect_right(ends, end - 1) + 1, entities[key])
                for key, start, end in found]

    def link(self, text: str) -> list[Mention]:
        """Find entity mentions in raw text.

        Args:
            text (str): The text.

        Returns:
            list[Mention]: Non-overlapping mentions in text order.
        """
        found = raw_pieces(text)
        out = []
        for first, end, entities in self._match(self._blocks(list(map(re.Match.group, found)))):
            start_char, end_char = found[first].start(), found[end - 1].end()
            out.append(Mention(start_char, end_char, text[start_char:end_char], entities))
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
        return [TokenMention(*match) for match in self._match(self._blocks(tokens))]

    def _blocks(self, tokens: Sequence[str]) -> list[str]:
        """Each token's pieces as the automaton reads them (a raw piece of a text is a token too)."""
        blocks = list(map(self._token_blocks.get, tokens))
        if None in blocks:
            blocks = [self._token_block(token) if block is None else block for token, block in zip(tokens, blocks)]
        return blocks

    def _token_block(self, token: str) -> str:
        """One token's pieces as the automaton reads them (memoized per linker: a corpus repeats its tokens)."""
        if self._acronyms and token.isupper():
            block = self._encode(cased_token_pieces(token, self.fold, self._acronyms))
        else:
            block = self._encode(pieces(token, self.fold))
        if len(self._token_blocks) >= _MAX_TOKEN_BLOCKS:
            self._token_blocks.clear()
        self._token_blocks[token] = block
        return block

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
