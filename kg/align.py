"""Label alignment: ``skos:closeMatch`` between entities of different sources that share a label.

Two ontologies imported into one store stay disconnected unless something says
that their entities mean the same thing: the opinion lexicon's word "good" and
WordNet's ``good.a.01`` are different IRIs in different namespaces. This step
groups every labelled entity by its normalized label keys (the entity linker's
normalization, :func:`kg.linking.normalize.label_keys`, so two entities are
aligned exactly when the linker would link the same mention to both) and adds
one ``skos:closeMatch`` triple for every pair of entities of different sources
in a group. Entities of one source are never aligned with each other (WordNet's
senses of "good" stay apart), and IRIs used as predicates are left out
(``kgft:polarity`` is not the concept "polarity").

The source of an entity is its namespace (:func:`source_of`). Everything goes
through the :class:`kg.store_protocol.Store` protocol (``labels``, ``stats``,
``add_triples``), so the step works on the embedded store and on Neo4j alike;
triples are added in a sorted order with the smaller IRI as subject, so a
re-run adds nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Sequence

from kg.convert.namespaces import KG, LEXICON, MESH, MESH_CATEGORY, SKOS
from core.errors import ConfigError
from kg.linking.normalize import label_keys
from kg.store_protocol import LABEL_PREDICATES

logger = logging.getLogger(__name__)

CLOSE_MATCH = SKOS + "closeMatch"
#: Labels shared by more entities than this are skipped by default (hubs such as "break": 26 WordNet senses).
DEFAULT_MAX_GROUP = 20
# Namespaces kgft's converters mint in which the local name has slashes of its own
# (``.../opinion-lexicon/word/good`` and ``.../opinion-lexicon/Positive`` are one source).
_MINTED = (LEXICON, MESH_CATEGORY, MESH)


@dataclass
class AlignResult:
    """What one alignment did.

    Args:
        labels_read (int): Label rows read from the store.
        entities (int): Distinct entities taking part (right predicate and namespace, not a predicate).
        groups (int): Normalized labels shared by entities of at least two sources.
        skipped_groups (int): Of those, groups larger than ``max_group``, left out.
        skipped_entities (int): Distinct entities in the skipped groups.
        pairs (int): Distinct cross-source pairs found (one ``skos:closeMatch`` each).
        added (int): Triples new to the store (0 on a re-run).
        max_group (int): The cap used.
        seconds (float): Wall time.
    """

    labels_read: int = 0
    entities: int = 0
    groups: int = 0
    skipped_groups: int = 0
    skipped_entities: int = 0
    pairs: int = 0
    added: int = 0
    max_group: int = DEFAULT_MAX_GROUP
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """JSON form (the CLI's ``--json``)."""
        return asdict(self)

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{self.added} skos:closeMatch triples added ({self.pairs} pairs in {self.groups} shared labels, "
            f"{self.entities} entities); {self.skipped_groups} labels shared by more than {self.max_group} "
            f"entities skipped ({self.skipped_entities} entities)"
        )


def source_of(iri: str, namespaces: Sequence[str] = ()) -> str | None:
    """The source (namespace) an entity belongs to.

    Args:
        iri (str): The entity.
        namespaces (Sequence[str]): When given, the only sources: the longest
            of them that ``iri`` starts with, or ``None`` if none. (default: ``()``)

    Returns:
        str or None: Without ``namespaces``: a kgft TSV graph's
        ``https://w3id.org/kgft/kg/<dataset>/``, the opinion lexicon's or
        MeSH's namespace for their IRIs, else the IRI up to its last ``#`` or
        ``/``.
    """
    if namespaces:
        found = [ns for ns in namespaces if iri.startswith(ns)]
        return max(found, key=len) if found else None
    if iri.startswith(KG):
        dataset = iri[len(KG) :].split("/", 1)[0]
        return f"{KG}{dataset}/"
    for ns in _MINTED:
        if iri.startswith(ns):
            return ns
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > 0 else iri


def label_groups(
    rows, predicates: Sequence[str], namespaces: Sequence[str], exclude: set[str], min_chars: int = 2
) -> tuple[dict[str, set[str]], dict[str, str], int]:
    """Entities by normalized label key.

    Args:
        rows (Iterable[tuple[str, str, str]]): ``(iri, predicate, text)`` as ``Store.labels()`` yields.
        predicates (Sequence[str]): Label predicates taken into account.
        namespaces (Sequence[str]): Namespace filter (see :func:`source_of`).
        exclude (set[str]): IRIs left out (predicates).
        min_chars (int): Shortest key kept, as in the linker. (default: ``2``)

    Returns:
        tuple: ``(key → entity IRIs, entity → source, rows read)``.
    """
    wanted = set(predicates)
    groups: dict[str, set[str]] = {}
    sources: dict[str, str] = {}
    n = 0
    for iri, pred, text in rows:
        n += 1
        if pred not in wanted or iri in exclude or not text:
            continue
        src = sources.get(iri)
        if src is None:
            src = source_of(iri, namespaces)
            if src is None:
                continue
            sources[iri] = src
        for key in label_keys(str(text), min_chars=min_chars):
            groups.setdefault(key, set()).add(iri)
    return groups, sources, n


def align_labels(
    store,
    predicates: Sequence[str] = LABEL_PREDICATES,
    namespaces: Sequence[str] = (),
    max_group: int = DEFAULT_MAX_GROUP,
) -> AlignResult:
    """Add ``skos:closeMatch`` between entities of different sources sharing a normalized label.

    Args:
        store (kg.store_protocol.Store): An open, writable store (embedded or Neo4j).
        predicates (Sequence[str]): Label predicates to compare; default
            :data:`kg.store_protocol.LABEL_PREDICATES` (labels and synonyms).
        namespaces (Sequence[str]): Only entities under these namespaces, each
            namespace one source; default: every entity, sources from
            :func:`source_of`. (default: ``()``)
        max_group (int): Skip (and count) labels shared by more entities than
            this, to avoid hub explosions. (default: ``20``)

    Returns:
        AlignResult: Counts; ``added`` is 0 when the store is already aligned.

    Raises:
        ConfigError: ``max_group`` below 2, or no label predicate.
        StoreError: the store cannot be read or written.
    """
    if isinstance(max_group, bool) or not isinstance(max_group, int) or max_group < 2:
        raise ConfigError(f"max_group must be an integer of at least 2, not {max_group!r}")
    if not predicates:
        raise ConfigError("no label predicate to align on", hint="pass at least one predicate IRI")
    from rdflib import URIRef

    start = time.perf_counter()
    exclude = set(store.stats().get("predicates", {}))
    groups, sources, n = label_groups(store.labels(), predicates, tuple(namespaces), exclude)
    result = AlignResult(labels_read=n, entities=len(sources), max_group=max_group)
    pairs: set[tuple[str, str]] = set()
    skipped: set[str] = set()
    for members in groups.values():
        if len({sources[iri] for iri in members}) < 2:
            continue
        result.groups += 1
        if len(members) > max_group:
            result.skipped_groups += 1
            skipped.update(members)
            continue
        pairs.update((a, b) for a, b in combinations(sorted(members), 2) if sources[a] != sources[b])
    result.skipped_entities = len(skipped)
    result.pairs = len(pairs)
    close = URIRef(CLOSE_MATCH)
    triples = ((URIRef(a), close, URIRef(b)) for a, b in sorted(pairs))
    result.added = store.add_triples(triples, source="label alignment") if pairs else 0
    result.seconds = round(time.perf_counter() - start, 2)
    logger.info("label alignment: %s", result.summary())
    return result
