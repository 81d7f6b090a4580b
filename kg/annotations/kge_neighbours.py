"""A concept's nearest concepts by the cosine similarity of their KGE vectors (graph context for suggestions)."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np


class KgeNeighbours:
    """The ``k`` entities nearest to an entity, by cosine similarity of their vectors.

    Args:
        entities (Sequence[str]): Entity IRIs; row ``i`` of ``vectors`` is ``entities[i]``.
        vectors (np.ndarray): ``[num_entities, D]`` vectors (complex models: real and imaginary
            parts side by side).
        k (int): Neighbours per entity. (default: ``5``)
        among (Iterable[str], optional): Look for neighbours only among these entities (e.g. the
            concepts linked in a corpus, the only ones that can add graph context); default all.
    """

    def __init__(self, entities: Sequence[str], vectors: np.ndarray, k: int = 5,
                 among: Iterable[str] | None = None) -> None:
        self.entities = list(entities)
        self.index = {iri: i for i, iri in enumerate(self.entities)}
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.unit = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        rows = range(len(self.entities)) if among is None else sorted({self.index[i] for i in among if i in self.index})
        self.candidates = np.asarray(rows, dtype=np.int64)
        self._candidate_unit = self.unit[self.candidates]
        self.k = int(k)
        self._cache: dict[str, tuple[str, ...]] = {}

    def among(self, iris: Iterable[str]) -> "KgeNeighbours":
        """The same vectors, neighbours looked for only among ``iris``."""
        return KgeNeighbours(self.entities, self.unit, self.k, among=iris)

    def __call__(self, iri: str) -> tuple[str, ...]:
        """The ``k`` nearest entities of ``iri``, nearest first (none when it has no vector)."""
        found = self._cache.get(iri)
        if found is None:
            row = self.index.get(iri)
            found = ()
            if row is not None and self.k > 0 and len(self.candidates):
                similarity = self._candidate_unit @ self.unit[row]
                similarity[self.candidates == row] = -np.inf
                k = min(self.k, len(similarity))
                top = np.argpartition(-similarity, k - 1)[:k]
                top = top[np.argsort(-similarity[top], kind="stable")]
                found = tuple(self.entities[self.candidates[i]] for i in top if similarity[i] > -np.inf)
            self._cache[iri] = found
        return found
