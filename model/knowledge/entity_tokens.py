"""Multi-word entities as explicit entity tokens.

kgft's choice for phrases: a mention that spans several words ("glandular
neoplasms", "waste of time") gets an *entity token* ``<ent:IRI>`` inserted
right after its last word, one per linked entity (up to a limit). The words
themselves stay in the text, so the baseline's input is a subsequence of the
knowledge run's input, and the phrase gets its own embedding row that is
initialized from (and regularized toward) the entity's vector. A mention of a
single word needs no extra token: that word's own embedding row is linked to
the entity (averaged over its entities when it has several).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

ENTITY_PREFIX = "<ent:"
ENTITY_SUFFIX = ">"


def entity_token(iri: str) -> str:
    """The token that stands for entity ``iri`` (``<ent:IRI>``)."""
    return f"{ENTITY_PREFIX}{iri}{ENTITY_SUFFIX}"


def is_entity_token(token: str) -> bool:
    """Whether ``token`` is an entity token made by :func:`entity_token`."""
    return token.startswith(ENTITY_PREFIX) and token.endswith(ENTITY_SUFFIX)


def entity_of(token: str) -> str:
    """The IRI inside an entity token.

    Args:
        token (str): A token for which :func:`is_entity_token` holds.
    """
    return token[len(ENTITY_PREFIX) : -len(ENTITY_SUFFIX)]


@dataclass
class LinkedText:
    """What linking did to one text.

    Args:
        tokens (list[str]): The words with entity tokens inserted after multi-word mentions.
        mentions (int): Mentions found.
        linked_words (int): Words inside some mention.
        entities (list[str]): Entities of every mention, in order (repeats kept).
        position_entities (list[tuple[str, ...]]): Per token of ``tokens``, the entities of the
            mention it belongs to (empty when it is in none). (default: ``[]``)
        mention_entities (list[tuple[str, ...]]): The entities of each mention, in order. (default: ``[]``)
        mention_negated (list[bool]): Whether each mention is negated (empty: none is). (default: ``[]``)
    """

    tokens: list[str]
    mentions: int
    linked_words: int
    entities: list[str] = field(default_factory=list)
    position_entities: list[tuple[str, ...]] = field(default_factory=list)
    mention_entities: list[tuple[str, ...]] = field(default_factory=list)
    mention_negated: list[bool] = field(default_factory=list)

    def clipped(self, keep: slice) -> "LinkedText":
        """The same text keeping only ``tokens[keep]`` (and their entities)."""
        return LinkedText(self.tokens[keep], self.mentions, self.linked_words, self.entities,
                          self.position_entities[keep], self.mention_entities, self.mention_negated)


def insert_entity_tokens(tokens: Sequence[str], mentions: Iterable, max_per_mention: int = 1) -> LinkedText:
    """Insert ``<ent:IRI>`` tokens after multi-word mentions.

    Args:
        tokens (Sequence[str]): The words of one text.
        mentions (Iterable): Objects with ``start``, ``end`` (exclusive) and
            ``entities`` (IRIs), as from ``EntityLinker.link_tokens``.
        max_per_mention (int): At most this many entity tokens per multi-word
            mention (its first entities, in the linker's order). (default: ``1``)

    Returns:
        LinkedText: The augmented token list and counts.
    """
    after: dict[int, list[str]] = defaultdict(list)
    covered = 0
    linked_entities: list[str] = []
    per_mention: list[tuple[str, ...]] = []
    of_word: list[tuple[str, ...]] = [()] * len(tokens)
    for m in mentions:
        covered += m.end - m.start
        ents = tuple(m.entities)
        per_mention.append(ents)
        linked_entities.extend(ents)
        of_word[m.start : m.end] = [ents] * (m.end - m.start)
        if m.end - m.start > 1:
            after[m.end - 1].extend(entity_token(e) for e in ents[:max_per_mention])
    out: list[str] = []
    positions: list[tuple[str, ...]] = []
    for i, tok in enumerate(tokens):
        out.append(tok)
        positions.append(of_word[i])
        extra = after.get(i)
        if extra:
            out.extend(extra)
            positions.extend([of_word[i]] * len(extra))
    return LinkedText(out, len(per_mention), covered, linked_entities, positions, per_mention)


class TokenLinks:
    """Which entities each vocabulary token stands for, collected from linked texts.

    A word counts as linked when the linker matched it as a one-word mention;
    an entity token stands for its own entity.
    """

    def __init__(self) -> None:
        self._word_entities: dict[str, Counter] = defaultdict(Counter)

    def add_mentions(self, tokens: Sequence[str], mentions: Iterable) -> None:
        """Record the one-word mentions of one text.

        Args:
            tokens (Sequence[str]): The words of the text.
            mentions (Iterable): Its mentions (``start``, ``end``, ``entities``).
        """
        for m in mentions:
            if m.end - m.start == 1:
                self._word_entities[tokens[m.start]].update(m.entities)

    def entities_of(self, token: str) -> list[str]:
        """The entities ``token`` stands for, sorted (empty when unlinked)."""
        if is_entity_token(token):
            return [entity_of(token)]
        found = self._word_entities.get(token)
        return sorted(found) if found else []

    def to_dict(self) -> dict[str, list[str]]:
        """Word → sorted entities, for saving with a run."""
        return {w: sorted(c) for w, c in sorted(self._word_entities.items())}

    @classmethod
    def from_dict(cls, data: dict[str, list[str]]) -> "TokenLinks":
        """Rebuild from :meth:`to_dict` output."""
        links = cls()
        for word, ents in data.items():
            links._word_entities[word].update(ents)
        return links
