"""Candidate ``link`` rows: phrases of the training texts that do not link today, matched to concepts.

For each candidate phrase (:mod:`kg.annotations.phrases`, the most
label-associated first) the concepts whose labels look most like it
(:class:`~kg.annotations.label_index.LabelIndex`) and the concepts linked
unusually often in its documents (:class:`~kg.annotations.context.ConceptContext`)
are scored::

    match = w_sim * similarity + (1 - w_sim) * context        # in [0, 1]
    score = match * (1 - a + a * phi / max phi)                 # in [0, 1]

where ``similarity`` is the label cosine, ``context`` the normalized lift of
the concept (or a graph neighbour) in the phrase's documents, ``phi`` the
phrase's association with its label and ``a`` the weight of association. Everything is deterministic: ties break
by phrase and IRI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from kg.linking.normalize import phrase_key
from kg.annotations.context import ConceptContext
from kg.annotations.fileformat import Annotation
from kg.annotations.label_index import LabelIndex
from kg.annotations.phrases import Phrase, mine_phrases

AUTHOR = "kgft suggest"


@dataclass(frozen=True)
class LinkOptions:
    """How link candidates are found and scored.

    Args:
        max_n (int): Tokens per phrase at most. (default: ``3``)
        min_df (int): Training texts a phrase must occur in. (default: ``3``)
        max_phrases (int): Most label-associated phrases matched to concepts. (default: ``5000``)
        per_phrase (int): Concepts proposed per phrase at most. (default: ``2``)
        max_rows (int): ``link`` rows written at most (best first). (default: ``200``)
        sim_weight (float): Weight of label similarity against graph context. (default: ``0.9``)
        min_match (float): Leave out pairs whose ``match`` is below this. (default: ``0.4``)
        candidates (int): Concepts looked at per phrase, by similarity and by context each. (default: ``10``)
        assoc_weight (float): How much a phrase's label association scales its score. (default: ``0.2``)
    """

    max_n: int = 3
    min_df: int = 3
    max_phrases: int = 5000
    per_phrase: int = 2
    max_rows: int = 200
    sim_weight: float = 0.9
    min_match: float = 0.4
    candidates: int = 10
    assoc_weight: float = 0.2


@dataclass(frozen=True)
class LinkCandidate:
    """One proposed link with its parts.

    Args:
        phrase (Phrase): The phrase.
        iri (str): The concept.
        label (str): The concept's label closest to the phrase.
        similarity (float): Label cosine.
        context (float): Graph context in the phrase's documents.
        score (float): The row's score.
    """

    phrase: Phrase
    iri: str
    label: str
    similarity: float
    context: float
    score: float


def linked_corpus(texts: Sequence[str], tokenizer, linker) -> tuple[list[list[str]], list[list[bool]], list[set[str]]]:
    """Tokens, covered-by-a-mention masks and linked concepts of every text, as training links them."""
    tokens, covered, concepts = [], [], []
    for text in texts:
        toks, cased = tokenizer.tokenize_with_case(text)
        mask = [False] * len(toks)
        found: set[str] = set()
        for mention in linker.link_tokens(cased):
            mask[mention.start:mention.end] = [True] * (mention.end - mention.start)
            found.update(mention.entities)
        tokens.append(toks)
        covered.append(mask)
        concepts.append(found)
    return tokens, covered, concepts


def _candidates(phrase: Phrase, index: LabelIndex, context: ConceptContext, options: LinkOptions,
                norm: float) -> list[LinkCandidate]:
    scores = index.similarities(phrase.surface)
    similar = {m.iri: m for m in index.ranked(scores, options.candidates)}
    pool = list(similar) + [iri for iri in context.co_linked(phrase.docs, options.candidates) if iri not in similar]
    out = []
    for iri in pool:
        match = similar.get(iri) or index.best_label(scores, iri)
        similarity, label = (match.similarity, match.label) if match else (0.0, "")
        ctx = context.lift(phrase.docs, iri)
        combined = options.sim_weight * similarity + (1 - options.sim_weight) * ctx
        if combined >= options.min_match:
            out.append(LinkCandidate(phrase, iri, label, similarity, ctx, combined * (1 - options.assoc_weight + options.assoc_weight * phrase.phi / norm)))
    out.sort(key=lambda c: (-round(c.score, 9), c.iri))
    return out[:options.per_phrase]


def suggest_links(token_lists, covered, doc_concepts, labels: Sequence[int], label_names: Sequence[str],
                  index: LabelIndex, edges=(), options: LinkOptions = LinkOptions(),
                  fold: bool = True, unlinks=(), nearest=None) -> list[LinkCandidate]:
    """Rank candidate links for the phrases of the texts that the linker misses.

    Args:
        token_lists: Tokens per training text.
        covered: Per text and token: inside a linked mention (:func:`linked_corpus`).
        doc_concepts: Concepts linked per text.
        labels (Sequence[int]): Label id per text.
        label_names (Sequence[str]): The label names.
        index (LabelIndex): The graph's labels and synonyms.
        edges: ``(subject, predicate, object)`` edges of the graph (graph context).
        options (LinkOptions): Limits and weights. (default: ``LinkOptions()``)
        fold (bool): Fold plurals as the linker does. (default: ``True``)
        unlinks: ``(phrase, IRI or None)`` pairs an expert said must not link: never proposed. (default: ``()``)
        nearest (KgeNeighbours, optional): Concepts' nearest concepts by KGE vectors, added to the
            graph context (looked for among the concepts linked in the texts). (default: ``None``)

    Returns:
        list[LinkCandidate]: Best first, at most ``options.max_rows``.
    """
    phrases = mine_phrases(token_lists, covered, labels, len(label_names), max_n=options.max_n,
                           min_df=options.min_df, fold=fold)[:options.max_phrases]
    if not phrases:
        return []
    if nearest is not None:
        nearest = nearest.among(set().union(*doc_concepts))
    context = ConceptContext(doc_concepts, edges, nearest=nearest)
    norm = max(p.phi for p in phrases)
    blocked = {(phrase_key(text), iri) for text, iri in unlinks}
    found = [c for p in phrases for c in _candidates(p, index, context, options, norm)
             if not {(phrase_key(p.surface), None), (phrase_key(p.surface), c.iri)} & blocked]
    found.sort(key=lambda c: (-round(c.score, 9), c.phrase.key, c.iri))
    return found[:options.max_rows]


def link_rows(found: Sequence[LinkCandidate], label_names: Sequence[str]) -> list[Annotation]:
    """The candidates as ``link`` annotation rows with a score and a reason."""
    rows = []
    for c in found:
        p = c.phrase
        reason = (f"in {p.df} training texts, {p.label_share:.0%} labelled {label_names[p.label]} "
                  f"(phi {p.phi:.2f}); label similarity {c.similarity:.2f} to {c.label!r}; "
                  f"graph context {c.context:.2f}")
        rows.append(Annotation("link", p.surface, c.iri, author=AUTHOR, score=round(c.score, 4), reason=reason))
    return rows
