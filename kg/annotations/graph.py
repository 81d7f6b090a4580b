"""Annotations in the embedded store: one node per row, in the named graph :data:`ANNOTATIONS_GRAPH_IRI`.

Each row of an annotation file (:mod:`kg.annotations.fileformat`) becomes a
node ``urn:kgft:annotation:<hash>`` typed ``kgft:Annotation`` (vocabulary
:data:`VOCAB`) with ``kgft:kind``, ``kgft:subject``, ``kgft:predicate``,
``kgft:object`` and its provenance ``kgft:author``, ``kgft:note``,
``kgft:source`` (the file name), ``kgft:line`` and ``kgft:time`` (when first
applied); a ``triple`` row also records ``kgft:preexisting`` (whether the
graph held its statement before). The hash is of the file name and the
statement, so the same row applied again is the same node. The named graph is
never part of kgft's single graph (the default graph: counts, stats, labels,
export); only a ``triple`` row's statement goes there too
(:mod:`kg.annotations.apply`).

The Neo4j store keeps the same rows as ``:_KgftAnnotation`` nodes
(:mod:`kg.annotations.neo4j`); :func:`kg.annotations.backends.annotation_store`
gives either store's :class:`AnnotationStore`, which :mod:`kg.annotations.apply`
and every reader use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Protocol

from kg.annotations.fileformat import COLUMNS, Annotation, is_literal, literal_cell, parse_literal

#: The named graph holding the annotations.
ANNOTATIONS_GRAPH_IRI = "urn:kgft:annotations"
#: The vocabulary of annotation nodes.
VOCAB = "https://w3id.org/kgft/vocab#"
_NODE = "urn:kgft:annotation:"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_TEXT_FIELDS = ("kind", "author", "note", "source")


@dataclass(frozen=True)
class StoredAnnotation:
    """An annotation as the store holds it.

    Args:
        id (str): Its node IRI.
        annotation (Annotation): The row (with ``source`` and ``line``).
        time (str): When it was first applied (ISO 8601, UTC).
        preexisting (bool): For a ``triple`` row: the graph held the statement before.
    """

    id: str
    annotation: Annotation
    time: str
    preexisting: bool = False

    def as_dict(self) -> dict:
        """The fields shown by ``kgft annotate list --json``."""
        row = self.annotation
        return {"id": self.id, **{name: getattr(row, name) for name in COLUMNS},
                "source": row.source, "line": row.line, "time": self.time}


def annotation_id(row: Annotation) -> str:
    """The node IRI of a row: a hash of its file name and statement."""
    digest = hashlib.sha256("\x1f".join((row.source,) + row.statement).encode("utf-8")).hexdigest()
    return _NODE + digest[:32]


def annotations_graph():
    """The ``pyoxigraph.NamedNode`` of :data:`ANNOTATIONS_GRAPH_IRI`."""
    import pyoxigraph as ox

    return ox.NamedNode(ANNOTATIONS_GRAPH_IRI)


def _object_term(row: Annotation):
    import pyoxigraph as ox

    if row.kind == "triple" and is_literal(row.object):
        return parse_literal(row.object)
    return ox.NamedNode(row.object) if row.object else None


def statement_quad(row: Annotation):
    """The default-graph quad a ``triple`` row states."""
    import pyoxigraph as ox

    return ox.Quad(ox.NamedNode(row.subject), ox.NamedNode(row.predicate), _object_term(row))


def node_quads(stored: StoredAnnotation) -> set:
    """The quads of one annotation node."""
    import pyoxigraph as ox

    row, node, graph = stored.annotation, ox.NamedNode(stored.id), annotations_graph()
    values = {"subject": ox.NamedNode(row.subject) if row.kind == "triple" else ox.Literal(row.subject),
              "predicate": ox.NamedNode(row.predicate) if row.predicate else None,
              "object": _object_term(row),
              "line": ox.Literal(str(row.line), datatype=ox.NamedNode(_XSD + "integer")),
              "time": ox.Literal(stored.time, datatype=ox.NamedNode(_XSD + "dateTime")),
              **{name: ox.Literal(getattr(row, name)) for name in _TEXT_FIELDS if getattr(row, name)}}
    if row.kind == "triple":
        values["preexisting"] = ox.Literal("true" if stored.preexisting else "false",
                                           datatype=ox.NamedNode(_XSD + "boolean"))
    quads = {ox.Quad(node, ox.NamedNode(VOCAB + name), value, graph) for name, value in values.items()
             if value is not None}
    return quads | {ox.Quad(node, ox.NamedNode(_RDF_TYPE), ox.NamedNode(VOCAB + "Annotation"), graph)}


def _cell(term, kind: str, name: str) -> str:
    import pyoxigraph as ox

    if type(term) is ox.Literal and kind == "triple" and name == "object":
        return literal_cell(term)
    return term.value


class AnnotationStore(Protocol):
    """What each store offers the annotations (the embedded store: :class:`EmbeddedAnnotations`;
    Neo4j: :class:`kg.annotations.neo4j.Neo4jAnnotations`)."""

    def annotations(self) -> list[StoredAnnotation]:
        """Every annotation the store holds, ordered by file name and line."""
        ...

    def unknown_concepts(self, iris: Iterable[str]) -> set[str]:
        """The IRIs among ``iris`` the graph holds no statement about."""
        ...

    def held(self, rows: Iterable[Annotation]) -> set[tuple]:
        """The statements (:attr:`Annotation.statement`) of the ``triple`` rows the graph holds."""
        ...

    def commit(self, before: list[StoredAnnotation], after: list[StoredAnnotation],
               add: list[Annotation], drop: list[Annotation]) -> None:
        """Replace the annotations ``before`` by ``after``, add the statements of the ``triple`` rows
        ``add`` and remove those of ``drop``."""
        ...


class EmbeddedAnnotations:
    """Annotations in the embedded store's named graph :data:`ANNOTATIONS_GRAPH_IRI`.

    Args:
        store (EmbeddedStore): The store.
    """

    def __init__(self, store) -> None:
        self.store = store

    def annotations(self) -> list[StoredAnnotation]:
        """Every annotation the store holds, ordered by file name and line."""
        nodes: dict[str, dict] = {}
        for quad in self.store.oxigraph.quads_for_pattern(None, None, None, annotations_graph()):
            nodes.setdefault(quad.subject.value, {})[quad.predicate.value.removeprefix(VOCAB)] = quad.object
        found = []
        for node, values in nodes.items():
            kind = values["kind"].value
            cells = {name: _cell(values[name], kind, name) for name in COLUMNS + ("source",) if name in values}
            row = Annotation(**{"object": "", **cells}, line=int(values["line"].value))
            found.append(StoredAnnotation(node, row, values["time"].value,
                                          "preexisting" in values and values["preexisting"].value == "true"))
        return sorted(found, key=lambda s: (s.annotation.source, s.annotation.line, s.id))

    def unknown_concepts(self, iris: Iterable[str]) -> set[str]:
        """The IRIs among ``iris`` that are the subject of no statement of the default graph."""
        import pyoxigraph as ox

        default = ox.DefaultGraph()
        return {iri for iri in iris
                if next(iter(self.store.oxigraph.quads_for_pattern(ox.NamedNode(iri), None, None, default)), None)
                is None}

    def held(self, rows: Iterable[Annotation]) -> set[tuple]:
        """The statements of the ``triple`` rows the default graph holds."""
        return {row.statement for row in rows if row.kind == "triple" and statement_quad(row) in self.store.oxigraph}

    def commit(self, before: list[StoredAnnotation], after: list[StoredAnnotation],
               add: list[Annotation], drop: list[Annotation]) -> None:
        """Write the difference of the annotation nodes, then the statements (see :class:`AnnotationStore`)."""
        old = set().union(*(node_quads(s) for s in before))
        new = set().union(*(node_quads(s) for s in after))
        for quad in old - new:  # the annotations graph holds nothing imported (kg.import_ledger)
            self.store.oxigraph.remove(quad)
        self.store.oxigraph.extend(list(new - old) + [statement_quad(row) for row in add])
        self.store.remove_quads(statement_quad(row) for row in drop)
