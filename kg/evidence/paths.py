"""Graph evidence for explanations: shortest paths from an entity to class concepts.

For an entity the classifier relied on, kgft shows how it connects, in the
user's own ontology, to the concept(s) mapped to the predicted class: a MeSH
descriptor up ``skos:broader`` to its disease category, a word to the
``Positive`` polarity concept, and so on. Both stores answer the same question
and give the same paths for the same graph:

* the embedded store runs a breadth-first search whose every step is one
  parameterized SPARQL query (the node is bound through ``initBindings``,
  never pasted into the query text); SPARQL property paths can test
  reachability but return neither the path nor its length, so the search
  keeps the parent links itself;
* Neo4j runs Cypher ``allShortestPaths`` with the source, targets and excluded
  relationship types passed as ``$parameters``.

A path is a list of :class:`Step` (a triple in its stored direction plus the
direction it was walked). Paths of the minimal length to any target are all
collected, sorted by a key that depends only on IRIs, and cut to
``max_paths``, so the answer does not depend on the store's iteration order.
Literals and blank nodes never lie on a path (blank nodes have no stable
identity across stores); ``rdf:type`` is never an edge (n10s turns it into a
node label), and other hub predicates can be excluded through the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from core.errors import ConfigError
from core.iri import local_name
from kg.store_protocol import LABEL_PREDICATES

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DEFAULT_EXCLUDED = (
    RDF_TYPE,
    SKOS + "inScheme",
    SKOS + "topConceptOf",
    SKOS + "hasTopConcept",
    "http://www.w3.org/2000/01/rdf-schema#isDefinedBy",
)
DIRECTIONS = ("any", "forward")
# Preference order when several label predicates name one node.
_LABEL_ORDER = {p: i for i, p in enumerate(LABEL_PREDICATES)}


@dataclass(frozen=True)
class PathPolicy:
    """How graph evidence is searched.

    Args:
        max_hops (int): Longest path considered. (default: ``6``)
        direction (str): ``"forward"`` walks edges subject → object only (e.g.
            up ``skos:broader``); ``"any"`` walks them both ways. (default: ``"any"``)
        exclude_predicates (tuple[str, ...]): Predicate IRIs never walked;
            ``rdf:type`` is always excluded. (default: rdf:type, skos:inScheme,
            skos:topConceptOf, skos:hasTopConcept, rdfs:isDefinedBy)
        max_paths (int): Paths kept per entity. (default: ``3``)
        max_nodes (int): Give up (no path) after visiting this many nodes. (default: ``200000``)

    Raises:
        ConfigError: an unknown direction or a limit that is not a positive integer.
    """

    max_hops: int = 6
    direction: str = "any"
    exclude_predicates: tuple[str, ...] = DEFAULT_EXCLUDED
    max_paths: int = 3
    max_nodes: int = 200_000

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ConfigError(
                f"unknown path direction {self.direction!r}", hint=f"use one of {', '.join(DIRECTIONS)}"
            )
        for name in ("max_hops", "max_paths", "max_nodes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"path search {name} must be a positive integer, got {value!r}")
        excluded = tuple(dict.fromkeys((RDF_TYPE, *self.exclude_predicates)))
        object.__setattr__(self, "exclude_predicates", excluded)


@dataclass(frozen=True, order=True)
class Step:
    """One edge of a path: the stored triple and the way it was walked.

    Args:
        subject (str): Subject IRI of the stored triple.
        predicate (str): Predicate IRI.
        object (str): Object IRI.
        forward (bool): ``True`` when walked subject → object.
    """

    subject: str
    predicate: str
    object: str
    forward: bool = True

    @property
    def start(self) -> str:
        """The node the walk leaves."""
        return self.subject if self.forward else self.object

    @property
    def end(self) -> str:
        """The node the walk reaches."""
        return self.object if self.forward else self.subject


@dataclass(frozen=True)
class EvidencePath:
    """A walk from an entity to a class concept.

    Args:
        steps (tuple[Step, ...]): The edges, in walking order (at least one).
    """

    steps: tuple[Step, ...]

    @property
    def source(self) -> str:
        """The entity the walk starts from."""
        return self.steps[0].start

    @property
    def target(self) -> str:
        """The concept it reaches."""
        return self.steps[-1].end

    @property
    def nodes(self) -> list[str]:
        """Every node in walking order."""
        return [self.steps[0].start] + [s.end for s in self.steps]

    def sort_key(self) -> tuple:
        """Store-independent order: node sequence, then predicates and directions."""
        return tuple((s.end, s.predicate, not s.forward) for s in self.steps)

    def to_dict(self, labels: dict[str, str] | None = None,
                annotated: dict[tuple[str, str, str], str] | None = None) -> dict:
        """JSON form: ``source``, ``target``, ``length`` and ``steps``.

        Args:
            labels (dict[str, str], optional): Display labels by IRI. (default: ``None``)
            annotated (dict, optional): ``(subject, predicate, object) -> "file:line"`` of the edges an
                expert annotation added (:func:`kg.annotations.hooks.annotated_statements`); a step's
                ``annotation`` is its ``file:line``, else ``None``. (default: ``None``)
        """
        labels = labels or {}
        annotated = annotated or {}
        return {
            "source": self.source,
            "target": self.target,
            "length": len(self.steps),
            "steps": [
                {
                    "subject": s.subject,
                    "predicate": s.predicate,
                    "object": s.object,
                    "relation": relation_name(s.predicate, labels),
                    "direction": "forward" if s.forward else "backward",
                    "from": s.start,
                    "to": s.end,
                    "from_label": labels.get(s.start, local_name(s.start)),
                    "to_label": labels.get(s.end, local_name(s.end)),
                    "annotation": annotated.get((s.subject, s.predicate, s.object)),
                }
                for s in self.steps
            ],
        }


def relation_name(predicate: str, labels: dict[str, str] | None = None) -> str:
    """A short name for a predicate: its label when known, else its local name."""
    return (labels or {}).get(predicate) or local_name(predicate)


def enumerate_shortest(
    parents: dict[str, list[Step]], source: str, reached: Iterable[str], max_paths: int
) -> list[EvidencePath]:
    """All shortest paths encoded by BFS parent links, in :meth:`EvidencePath.sort_key` order.

    Args:
        parents (dict[str, list[Step]]): For each node, the steps that reach it
            from a node one layer closer to ``source``.
        source (str): The BFS start.
        reached (Iterable[str]): Targets at the minimal distance.
        max_paths (int): Stop after this many paths.

    Returns:
        list[EvidencePath]: At most ``max_paths`` paths, lexicographically first.
    """
    # Nodes lying on some shortest path to a reached target, and their forward steps.
    on_path: set[str] = set()
    stack = list(reached)
    children: dict[str, list[Step]] = {}
    while stack:
        node = stack.pop()
        if node in on_path:
            continue
        on_path.add(node)
        for step in parents.get(node, ()):
            children.setdefault(step.start, []).append(step)
            stack.append(step.start)
    targets = set(reached)
    for steps in children.values():
        steps.sort(key=lambda s: (s.end, s.predicate, not s.forward))
    paths: list[EvidencePath] = []

    def walk(node: str, prefix: list[Step]) -> None:
        if len(paths) >= max_paths:
            return
        if node in targets and prefix:
            paths.append(EvidencePath(tuple(prefix)))
            return
        for step in children.get(node, ()):
            walk(step.end, prefix + [step])

    walk(source, [])
    return paths


def pick_label(candidates: Iterable[tuple[str, str, str | None]]) -> str | None:
    """The preferred label among ``(predicate, text, language)`` candidates.

    Preference: label predicate order of :data:`kg.store_protocol.LABEL_PREDICATES`
    (``rdfs:label``, ``skos:prefLabel``, ...), English or untagged first, then text.
    """
    best = None
    for pred, text, lang in candidates:
        key = (_LABEL_ORDER.get(pred, len(_LABEL_ORDER)), 0 if (lang or "en").startswith("en") else 1, text)
        if best is None or key < best[0]:
            best = (key, text)
    return None if best is None else best[1]
