"""Concept labels as character n-gram TF-IDF vectors: which concepts a phrase most looks like.

Every label and synonym is normalized as the linker sees it
(:func:`kg.linking.normalize.label_keys`, plurals folded); each key is cut
into character n-grams of ``" key "`` (so word edges count), weighted
``tf * idf`` and L2-normalized. :meth:`LabelIndex.nearest` scores a phrase
against every key through an inverted index of n-grams (numpy, no
scikit-learn) and returns concepts by their best key's cosine.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from kg.linking.normalize import label_keys, phrase_key


def char_ngrams(key: str, n: int = 3) -> Counter:
    """Character n-grams of ``" key "`` with their counts (a key shorter than ``n`` is one gram)."""
    padded = f" {key} "
    if len(padded) <= n:
        return Counter([padded])
    return Counter(padded[i:i + n] for i in range(len(padded) - n + 1))


@dataclass(frozen=True)
class Match:
    """A concept close to a phrase.

    Args:
        iri (str): The concept.
        label (str): Its label (as written in the graph) closest to the phrase.
        key (str): That label's normalized key.
        similarity (float): Cosine of the n-gram vectors, in [0, 1].
    """

    iri: str
    label: str
    key: str
    similarity: float


class LabelIndex:
    """Character n-gram TF-IDF index of concept labels.

    Args:
        label_pairs (Iterable[Sequence[str]]): ``(concept IRI, label)`` pairs.
        n (int): N-gram length. (default: ``3``)
        fold (bool): Fold plurals as the linker does. (default: ``True``)
    """

    def __init__(self, label_pairs: Iterable[Sequence[str]], n: int = 3, fold: bool = True) -> None:
        self.n, self.fold = n, fold
        table: dict[str, dict[str, str]] = {}
        for row in label_pairs:
            iri, text = str(row[0]), str(row[-1])
            for key in label_keys(text, min_chars=2, fold=fold):
                table.setdefault(key, {}).setdefault(iri, text)
        self.keys = sorted(table)
        self.concepts = [dict(sorted(table[key].items())) for key in self.keys]
        self._keys_of: dict[str, list[int]] = {}
        for k, concepts in enumerate(self.concepts):
            for iri in concepts:
                self._keys_of.setdefault(iri, []).append(k)
        grams = [char_ngrams(key, n) for key in self.keys]
        df = Counter(g for counts in grams for g in counts)
        total = len(self.keys)
        self._idf = {g: math.log((1 + total) / (1 + d)) + 1 for g, d in df.items()}
        self._unseen_idf = math.log(1 + total) + 1
        postings: dict[str, list[tuple[int, float]]] = {}
        for k, counts in enumerate(grams):
            weights = {g: c * self._idf[g] for g, c in counts.items()}
            norm = math.sqrt(sum(w * w for w in weights.values()))
            for g, w in weights.items():
                postings.setdefault(g, []).append((k, w / norm))
        self._postings = {g: (np.fromiter((k for k, _ in rows), np.int64, len(rows)),
                              np.fromiter((w for _, w in rows), np.float64, len(rows)))
                          for g, rows in postings.items()}

    def __len__(self) -> int:
        return len(self.keys)

    def _query(self, key: str) -> dict[str, float]:
        counts = char_ngrams(key, self.n)
        weights = {g: c * self._idf.get(g, self._unseen_idf) for g, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {g: w / norm for g, w in weights.items()}

    def similarities(self, phrase: str) -> np.ndarray:
        """Cosine of ``phrase`` with every key (aligned with :attr:`keys`)."""
        scores = np.zeros(len(self.keys))
        for gram, weight in self._query(phrase_key(phrase, self.fold)).items():
            found = self._postings.get(gram)
            if found is not None:
                scores[found[0]] += weight * found[1]
        return np.clip(scores, 0.0, 1.0)

    def nearest(self, phrase: str, k: int = 10, min_similarity: float = 0.0) -> list[Match]:
        """The ``k`` concepts whose labels are most similar to ``phrase``, best first.

        Ties are broken by key, then IRI, so the order is deterministic.

        Args:
            phrase (str): A phrase.
            k (int): Concepts returned at most. (default: ``10``)
            min_similarity (float): Leave out concepts below this cosine. (default: ``0.0``)
        """
        return self.ranked(self.similarities(phrase), k, min_similarity)

    def ranked(self, scores: np.ndarray, k: int = 10, min_similarity: float = 0.0) -> list[Match]:
        """:meth:`nearest` from the :meth:`similarities` of a phrase."""
        if not self.keys:
            return []
        shortlist = min(len(scores), 20 * k)  # a key's concepts are few: 20 keys per concept wanted suffice
        top = np.argpartition(-scores, shortlist - 1)[:shortlist]
        order = sorted((i for i in top.tolist() if scores[i] > max(min_similarity, 0.0)),
                       key=lambda i: (-round(float(scores[i]), 9), self.keys[i]))
        out: dict[str, Match] = {}
        for i in order:
            for iri, label in self.concepts[i].items():
                if iri not in out:
                    out[iri] = Match(iri, label, self.keys[i], float(scores[i]))
            if len(out) >= k:
                break
        return sorted(out.values(), key=lambda m: (-round(m.similarity, 9), m.iri))[:k]

    def best_label(self, scores: np.ndarray, iri: str) -> Match | None:
        """The label of ``iri`` most similar to a phrase (from its :meth:`similarities`), or ``None``."""
        keys = self._keys_of.get(iri)
        if not keys:
            return None
        best = max(keys, key=lambda k: (round(float(scores[k]), 9), self.keys[k]))
        return Match(iri, self.concepts[best][iri], self.keys[best], float(scores[best]))
