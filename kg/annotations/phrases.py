"""Phrases of training texts that the linker misses, and how strongly each goes with a label.

A candidate phrase is 1 to ``max_n`` consecutive word tokens (a letter in
each) of which none lies in a linked mention, that neither starts nor ends
with a function word (:data:`FUNCTION_WORDS`). Phrases are counted once per
document and grouped by their normalized key (:func:`kg.linking.normalize.phrase_key`,
as the linker would compare them). Association with a label is the phi
coefficient of the 2x2 table "document has the phrase" x "document has the
label" (``chi2 = N * phi**2``), positive associations only, computed on the
texts given (the training split).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from kg.linking.normalize import phrase_key

#: English function words a phrase may not start or end with.
FUNCTION_WORDS = frozenset("""
a an the and or but nor of in on at to for from by with without into onto over under than then as is are was
were be been being am do does did done has have had having this that these those it its it's they them their
there here which who whom whose what when where why how not no yes all any some each both either neither more
most less least such same other only also very so too can could may might must shall should will would
we our us you your he him his she her i me my one two after before during between among about against
within while whether if because per via vs et al""".split())


@dataclass(frozen=True)
class Phrase:
    """A candidate phrase with its counts and association.

    Args:
        key (str): Its normalized key.
        surface (str): Its most frequent written form (tokens joined by spaces).
        docs (tuple[int, ...]): The documents holding it.
        label (int): The label it goes with most.
        phi (float): Phi coefficient with that label, in [0, 1].
        label_share (float): Share of its documents that have that label.
    """

    key: str
    surface: str
    docs: tuple[int, ...]
    label: int
    phi: float
    label_share: float

    @property
    def df(self) -> int:
        """Documents holding the phrase."""
        return len(self.docs)


def _is_word(token: str) -> bool:
    return any(c.isalpha() for c in token)


def candidate_ngrams(tokens: Sequence[str], covered: Sequence[bool], max_n: int = 3) -> set[tuple[int, int]]:
    """``(start, end)`` token spans of candidate phrases in one text (see the module docstring)."""
    spans = set()
    for start in range(len(tokens)):
        if covered[start] or not _is_word(tokens[start]) or tokens[start] in FUNCTION_WORDS:
            continue
        for end in range(start + 1, min(start + max_n, len(tokens)) + 1):
            last = end - 1
            if covered[last] or not _is_word(tokens[last]):
                break
            if tokens[last] not in FUNCTION_WORDS:
                spans.add((start, end))
    return spans


def doc_phrases(tokens: Sequence[str], covered: Sequence[bool], max_n: int, fold: bool,
                 surfaces: dict[str, Counter]) -> set[str]:
    """Keys of the candidate phrases of one text; counts each phrase's written forms into ``surfaces``."""
    keys = set()
    for start, end in candidate_ngrams(tokens, covered, max_n):
        surface = " ".join(tokens[start:end])
        key = phrase_key(surface, fold)
        if len(key) >= 3:
            keys.add(key)
            surfaces.setdefault(key, Counter())[surface] += 1
    return keys


def mine_phrases(token_lists: Sequence[Sequence[str]], covered: Sequence[Sequence[bool]], labels: Sequence[int],
                 num_labels: int, *, max_n: int = 3, min_df: int = 3, fold: bool = True) -> list[Phrase]:
    """Candidate phrases of the texts, positively associated with a label, best (chi-squared) first.

    Args:
        token_lists (Sequence[Sequence[str]]): Tokens per text (kgft's tokenizer).
        covered (Sequence[Sequence[bool]]): Per text and token: inside a linked mention.
        labels (Sequence[int]): Label id per text.
        num_labels (int): Number of labels.
        max_n (int): Tokens per phrase at most. (default: ``3``)
        min_df (int): Texts a phrase must occur in. (default: ``3``)
        fold (bool): Fold plurals in keys, as the linker does. (default: ``True``)

    Returns:
        list[Phrase]: Phrases with a positive association, by ``phi`` descending, then key.
    """
    surfaces: dict[str, Counter] = {}
    per_doc = [doc_phrases(t, c, max_n, fold, surfaces) for t, c in zip(token_lists, covered)]
    df = Counter(key for keys in per_doc for key in keys)
    docs: dict[str, list[int]] = {key: [] for key, n in df.items() if n >= min_df}
    for d, keys in enumerate(per_doc):
        for key in keys:
            if key in docs:
                docs[key].append(d)
    label_arr = np.asarray(labels, dtype=np.int64)
    n_docs = len(label_arr)
    per_label = np.bincount(label_arr, minlength=num_labels).astype(np.float64)
    out = []
    for key, where in docs.items():
        a = np.bincount(label_arr[where], minlength=num_labels).astype(np.float64)
        n = float(len(where))
        denominator = np.sqrt(n * (n_docs - n) * per_label * (n_docs - per_label))
        with np.errstate(divide="ignore", invalid="ignore"):
            phi = np.where(denominator > 0, (a * n_docs - n * per_label) / denominator, 0.0)
        best = int(np.argmax(phi))
        if phi[best] > 0:
            surface = min(surfaces[key].items(), key=lambda kv: (-kv[1], kv[0]))[0]
            out.append(Phrase(key, surface, tuple(where), best, float(min(phi[best], 1.0)), float(a[best] / n)))
    return sorted(out, key=lambda p: (-round(p.phi, 12), p.key))
