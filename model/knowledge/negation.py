"""Negated mentions: a concept named right after a negation cue ("not good", "no evidence of cancer").

The knowledge channel counts a negated mention's ancestors in a separate
block of its bag (:mod:`model.knowledge.channel_inputs`), so "not good" does
not add to the evidence for Positive (the NegEx idea: a cue, then a short
scope that punctuation ends). The cues are words of the text's language,
configurable; nothing here depends on an ontology.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

#: English negation cues (and any word ending in ``n't``).
NEGATION_CUES = ("not", "no", "never", "nor", "neither", "nothing", "none", "without", "cannot", "hardly", "barely")
_BOUNDARIES = frozenset(".,;:!?()[]")


@dataclass(frozen=True)
class NegationScope:
    """Which mentions are negated.

    Args:
        cues (tuple[str, ...]): Lower-cased cue words (a word ending in ``n't`` is a cue too).
            (default: :data:`NEGATION_CUES`)
        window (int): A cue negates mentions starting within this many tokens after it,
            unless punctuation comes first. (default: ``3``)
    """

    cues: tuple[str, ...] = NEGATION_CUES
    window: int = 3

    def is_cue(self, token: str) -> bool:
        """Whether ``token`` is a negation cue."""
        token = token.lower()
        return token in self.cues or token.endswith("n't")

    def negated(self, words: Sequence[str], starts: Sequence[int]) -> list[bool]:
        """For each mention start position, whether a cue precedes it within the window.

        Args:
            words (Sequence[str]): The text's words.
            starts (Sequence[int]): First word of each mention.
        """
        out = []
        for start in starts:
            hit = False
            for pos in range(start - 1, max(start - 1 - self.window, -1), -1):
                if words[pos] in _BOUNDARIES:
                    break
                if self.is_cue(words[pos]):
                    hit = True
                    break
            out.append(hit)
        return out

    def to_dict(self) -> dict:
        """JSON form (saved with a run's tokenizer settings)."""
        return {"cues": list(self.cues), "window": self.window}

    @classmethod
    def from_dict(cls, data: dict) -> "NegationScope":
        """Rebuild from :meth:`to_dict` output."""
        return cls(tuple(data["cues"]), int(data["window"]))
