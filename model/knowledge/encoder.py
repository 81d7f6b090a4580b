"""From raw text to token ids, with entity linking and entity tokens.

:class:`TextEncoder` is the one path text takes into a kgft classifier, in
training, evaluation and explanation alike: tokenize (truncated to
``max_len``), link entities, insert ``<ent:IRI>`` tokens after multi-word
mentions (see :mod:`model.knowledge.entity_tokens`), truncate again and map
to vocabulary ids. Without a linker (the baseline) it only tokenizes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from core.errors import ConfigError
from model.knowledge.entity_tokens import LinkedText, TokenLinks, insert_entity_tokens
from model.knowledge.negation import NegationScope

#: Which end of a long text :class:`TextEncoder` keeps.
TRUNCATE_MODES = ("head", "tail")


@dataclass
class Coverage:
    """How much of a corpus the linker reached.

    Args:
        documents (int): Texts seen.
        linked_documents (int): Texts with at least one mention.
        tokens (int): Words seen (before entity tokens).
        linked_tokens (int): Words inside a mention.
        mentions (int): Mentions found.
        entity_counts (Counter): Mentions per entity.
    """

    documents: int = 0
    linked_documents: int = 0
    tokens: int = 0
    linked_tokens: int = 0
    mentions: int = 0
    entity_counts: Counter = field(default_factory=Counter)

    def add(self, words: int, linked: LinkedText) -> None:
        """Count one text."""
        self.documents += 1
        self.tokens += words
        self.linked_tokens += linked.linked_words
        self.mentions += linked.mentions
        self.linked_documents += linked.mentions > 0
        self.entity_counts.update(linked.entities)

    def to_dict(self, labels: dict[str, str] | None = None, top: int = 20) -> dict:
        """Shares and the most frequent entities (JSON-ready)."""
        labels = labels or {}
        return {
            "documents": self.documents,
            "linked_documents": self.linked_documents,
            "document_share": self.linked_documents / self.documents if self.documents else 0.0,
            "tokens": self.tokens,
            "linked_tokens": self.linked_tokens,
            "token_share": self.linked_tokens / self.tokens if self.tokens else 0.0,
            "mentions": self.mentions,
            "distinct_entities": len(self.entity_counts),
            "mentions_per_document": self.mentions / self.documents if self.documents else 0.0,
            "top_entities": [{"entity": e, "label": labels.get(e, ""), "mentions": c}
                             for e, c in self.entity_counts.most_common(top)],
        }


class TextEncoder:
    """Tokenize, link, insert entity tokens, encode.

    Args:
        tokenizer: A :class:`model.text.Tokenizer`.
        max_len (int): Tokens kept per text (before and after entity-token insertion).
        linker (optional): A :class:`kg.linking.EntityLinker`; ``None`` disables linking. (default: ``None``)
        max_entities_per_mention (int): Entity tokens per multi-word mention (0: none). (default: ``1``)
        truncate (str): Which end of a long text is kept: ``head`` (the first ``max_len``
            tokens) or ``tail`` (the last ones; reviews often conclude with the verdict).
            (default: ``"head"``)
        negation (NegationScope, optional): Marks negated mentions (knowledge runs). (default: ``None``)
    """

    def __init__(self, tokenizer, max_len: int, linker=None, max_entities_per_mention: int = 1,
                 truncate: str = "head", negation: NegationScope | None = None) -> None:
        if truncate not in TRUNCATE_MODES:
            raise ConfigError(f"unknown truncate mode {truncate!r}", hint=f"use one of {', '.join(TRUNCATE_MODES)}")
        self.tokenizer = tokenizer
        self.max_len = int(max_len)
        self.linker = linker
        self.max_entities_per_mention = int(max_entities_per_mention)
        self.truncate = truncate
        self.negation = negation

    def window(self, n: int) -> slice:
        """The slice of ``n`` tokens that is kept: at most ``max_len``, from the head or the tail."""
        if n <= self.max_len:
            return slice(0, n)
        return slice(0, self.max_len) if self.truncate == "head" else slice(n - self.max_len, n)

    def clip(self, tokens: list[str]) -> list[str]:
        """At most ``max_len`` tokens, from the head or the tail as configured."""
        return tokens[self.window(len(tokens))]

    def settings(self) -> dict:
        """What rebuilds this encoder with its tokenizer (saved as a run's ``tokenizer.json``)."""
        return {**self.tokenizer.to_dict(), "max_len": self.max_len, "truncate": self.truncate,
                "max_entities_per_mention": self.max_entities_per_mention,
                "negation": self.negation.to_dict() if self.negation else None}

    @classmethod
    def from_settings(cls, settings: dict, linker=None) -> "TextEncoder":
        """Rebuild from :meth:`settings` output (older runs without ``negation`` included)."""
        from model.text import Tokenizer

        opts = dict(settings)
        max_len, truncate = opts.pop("max_len"), opts.pop("truncate", "head")
        per_mention, negation = opts.pop("max_entities_per_mention"), opts.pop("negation", None)
        return cls(Tokenizer.from_dict(opts), max_len, linker, per_mention, truncate,
                   NegationScope.from_dict(negation) if negation else None)

    def analyse(self, text: str, links: TokenLinks | None = None, coverage: Coverage | None = None) -> LinkedText:
        """One text's tokens (entity tokens inserted when a linker is set) with their entities.

        Args:
            text (str): Raw text.
            links (TokenLinks, optional): Collects one-word links (training). (default: ``None``)
            coverage (Coverage, optional): Collects linking counts. (default: ``None``)

        Returns:
            LinkedText: At most ``max_len`` tokens.
        """
        if self.linker is None:
            words = self.clip(self.tokenizer.tokenize(text))
            return LinkedText(words, 0, 0, position_entities=[()] * len(words))
        words, cased = self.words(text)
        mentions, linked = self.link_words(words, cased)
        if links is not None:
            links.add_mentions(words, mentions)
        if coverage is not None:
            coverage.add(len(words), linked)
        return linked.clipped(self.window(len(linked.tokens)))

    def words(self, text: str) -> tuple[list[str], list[str]]:
        """The text's words (at most ``max_len``) and the same words in their original case."""
        words, cased = self.tokenizer.tokenize_with_case(text)
        return self.clip(words), self.clip(cased)

    def link_words(self, words: list[str], cased: list[str] | None = None) -> tuple[list, LinkedText]:
        """The linker's mentions in ``words`` and the words with entity tokens inserted (not yet
        clipped to ``max_len``; :meth:`window` gives the kept slice), negated mentions marked.

        Args:
            words (list[str]): The text's tokens.
            cased (list[str], optional): The same tokens in their original case (acronym labels
                match only words in capitals, :mod:`kg.linking.normalize`). (default: ``words``)
        """
        mentions = list(self.linker.link_tokens(words if cased is None else cased))
        linked = insert_entity_tokens(words, mentions, self.max_entities_per_mention)
        if self.negation is not None:
            linked.mention_negated = self.negation.negated(words, [m.start for m in mentions])
        return mentions, linked

    def process(self, text: str, links: TokenLinks | None = None, coverage: Coverage | None = None) -> list[str]:
        """The tokens of :meth:`analyse`."""
        return self.analyse(text, links, coverage).tokens

    def analyse_many(self, texts: Iterable[str], links: TokenLinks | None = None,
                     coverage: Coverage | None = None) -> list[LinkedText]:
        """:meth:`analyse` for many texts."""
        return [self.analyse(t, links, coverage) for t in texts]

    def process_many(self, texts: Iterable[str], links: TokenLinks | None = None,
                     coverage: Coverage | None = None) -> list[list[str]]:
        """:meth:`process` for many texts."""
        return [self.process(t, links, coverage) for t in texts]

    @staticmethod
    def encode(vocab, token_lists: Sequence[Sequence[str]]) -> list[list[int]]:
        """Vocabulary ids; an empty text becomes one ``<unk>``."""
        return [vocab.encode(toks) or [vocab.unk_index] for toks in token_lists]
