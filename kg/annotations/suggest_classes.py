"""Candidate ``class`` rows: a concept for each class label that training did not align to one.

A label's candidates are the concepts whose labels look most like the class
name (:class:`~kg.annotations.label_index.LabelIndex`) and the concepts
linked unusually often in the training texts of that class
(:class:`~kg.annotations.context.ConceptContext`); each scores::

    score = w_sim * similarity + (1 - w_sim) * context    # in [0, 1]

Only the best concept of a label is proposed (a class means one concept);
the runner-up is named in the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from kg.annotations.context import ConceptContext
from kg.annotations.fileformat import Annotation
from kg.annotations.label_index import LabelIndex
from kg.annotations.suggest_links import AUTHOR


@dataclass(frozen=True)
class ClassCandidate:
    """The proposed concept of a class label.

    Args:
        label (str): The class label.
        iri (str): The concept.
        concept_label (str): The concept's label closest to the class name (``""`` if none).
        similarity (float): Label cosine.
        context (float): Graph context in the class's training texts.
        score (float): The row's score.
        texts (int): Training texts of the class.
        runner_up (str): The second-best concept, or ``""``.
    """

    label: str
    iri: str
    concept_label: str
    similarity: float
    context: float
    score: float
    texts: int
    runner_up: str = ""


def suggest_classes(label_names: Sequence[str], aligned: set[str] | dict, labels: Sequence[int],
                    index: LabelIndex, context: ConceptContext, sim_weight: float = 0.5,
                    candidates: int = 10, min_score: float = 0.1) -> list[ClassCandidate]:
    """The best concept of every class label not in ``aligned``.

    Args:
        label_names (Sequence[str]): Class labels.
        aligned: Labels that already have a concept (left out).
        labels (Sequence[int]): Label id per training text (aligned with ``context``'s documents).
        index (LabelIndex): The graph's labels and synonyms.
        context (ConceptContext): Concepts linked per training text, and the graph's edges.
        sim_weight (float): Weight of label similarity against graph context. (default: ``0.5``)
        candidates (int): Concepts looked at, by similarity and by context each. (default: ``10``)
        min_score (float): Leave out labels whose best score is below this. (default: ``0.1``)

    Returns:
        list[ClassCandidate]: One per label that found a concept, in label order.
    """
    out = []
    for k, name in enumerate(label_names):
        if name in aligned:
            continue
        docs = [d for d, lab in enumerate(labels) if lab == k]
        scores = index.similarities(name)
        similar = {m.iri: m for m in index.ranked(scores, candidates)}
        pool = list(similar) + [iri for iri in context.co_linked(docs, candidates) if iri not in similar]
        ranked = []
        for iri in pool:
            match = similar.get(iri) or index.best_label(scores, iri)
            similarity, concept_label = (match.similarity, match.label) if match else (0.0, "")
            ctx = context.lift(docs, iri)
            score = sim_weight * similarity + (1 - sim_weight) * ctx
            ranked.append(ClassCandidate(name, iri, concept_label, similarity, ctx, score, len(docs)))
        ranked.sort(key=lambda c: (-round(c.score, 9), c.iri))
        if ranked and ranked[0].score >= min_score:
            best = ranked[0]
            runner_up = ranked[1].iri if len(ranked) > 1 else ""
            out.append(ClassCandidate(best.label, best.iri, best.concept_label, best.similarity, best.context,
                                      best.score, best.texts, runner_up))
    return out


def class_rows(found: Sequence[ClassCandidate]) -> list[Annotation]:
    """The candidates as ``class`` annotation rows with a score and a reason."""
    rows = []
    for c in found:
        reason = (f"class not aligned by training; label similarity {c.similarity:.2f}"
                  + (f" to {c.concept_label!r}" if c.concept_label else "")
                  + f"; graph context {c.context:.2f} in its {c.texts} training texts"
                  + (f"; runner-up {c.runner_up}" if c.runner_up else ""))
        rows.append(Annotation("class", c.label, c.iri, author=AUTHOR, score=round(c.score, 4), reason=reason))
    return rows
