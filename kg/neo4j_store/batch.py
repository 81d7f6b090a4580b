"""One batch of triples, grouped per node and per relationship.

A batch groups its triples, deduplicated, per node (``uri -> class IRIs,
{property key: values}``) and per relationship type (``predicate -> {(s, o)}``);
:func:`kg.neo4j_store.write.write_batch` writes it in one transaction. A
node an object property names gets an entry too (often a "bare" one, with
no labels or values), so every relationship endpoint is among the nodes the
write resolves first.

Every IRI that becomes a graph token (predicates, classes, datatypes) is
validated here by :func:`kg.neo4j_store.schema.check_iri`, once per batch, so
that everything stored reads back as well-formed RDF.
"""

from __future__ import annotations

from typing import Iterable

import pyoxigraph as ox
from rdflib import Literal, URIRef

from kg.neo4j_store.schema import check_iri
from kg.neo4j_store.encode import (
    BNODE_PREFIX,
    RDF_TYPE,
    KeyCodec,
    ox_node_uri,
    rdflib_node_uri,
)


class Batch:
    """Triples grouped per node and per relationship, deduplicated.

    ``nodes`` maps each node's uri to its row ``[uri, [class IRI, ...],
    {property key: [value, ...]}]``, which the write statements take as it
    is; class IRIs and values are distinct within a row.

    Args:
        codec (KeyCodec): Maps literal predicates/datatypes/tags to property keys.
    """

    def __init__(self, codec: KeyCodec) -> None:
        self.codec = codec
        self.size = 0
        self.nodes: dict[str, list] = {}
        # predicate -> {(subject uri, object uri)}
        self.rels: dict[str, set[tuple[str, str]]] = {}
        self.keys: set[str] = set()  # the literal property keys used
        self._seen: set[tuple] = set()  # (s, class) and (s, key, value) already in a row
        self._checked: set[str] = set()

    def __len__(self) -> int:
        return self.size

    def _check(self, iri: str, role: str) -> str:
        if iri not in self._checked:
            check_iri(iri, role)
            self._checked.add(iri)
        return iri

    def _add_value(self, s: str, k: str, value: str) -> None:
        seen = (s, k, value)
        if seen in self._seen:
            return
        self._seen.add(seen)
        row = self.nodes.get(s)
        if row is None:
            row = self.nodes[s] = [s, [], {}]
        values = row[2].get(k)
        if values is None:
            values = row[2][k] = []
            self.keys.add(k)
        values.append(value)

    def _add_class(self, s: str, cls: str) -> None:
        seen = (s, cls)
        if seen not in self._seen:
            self._seen.add(seen)
            row = self.nodes.get(s)
            if row is None:
                row = self.nodes[s] = [s, [], {}]
            row[1].append(self._check(cls, "class"))

    def _add_rel(self, s: str, p: str, o: str) -> None:
        nodes = self.nodes
        if s not in nodes:
            nodes[s] = [s, [], {}]
        if o not in nodes:
            nodes[o] = [o, [], {}]
        pairs = self.rels.get(p)
        if pairs is None:
            pairs = self.rels[p] = set()
        pairs.add((s, o))

    def add_ox(self, triples: Iterable, limit: int) -> int:
        """Add up to ``limit`` pyoxigraph triples or quads (graph names ignored).

        Returns:
            int: How many were taken from ``triples`` (fewer than ``limit`` at its end).
        """
        named, literal = ox.NamedNode, ox.Literal
        key, keys, checked = self.codec.key, self.codec.keys, self._checked
        add_value, add_class, add_rel = self._add_value, self._add_class, self._add_rel
        taken = 0
        for triple in triples:
            subject = triple.subject
            s = subject.value if type(subject) is named else ox_node_uri(subject)
            p = triple.predicate.value
            if p not in checked:
                self._check(p, "predicate")
            o = triple.object
            kind = type(o)
            if kind is literal:
                dt, lang = o.datatype.value, o.language
                k = keys.get((p, dt, lang)) or key(p, dt, lang)
                add_value(s, k, o.value)
            elif kind is named and p == RDF_TYPE and not o.value.startswith(BNODE_PREFIX):
                add_class(s, o.value)
            else:
                add_rel(s, p, o.value if kind is named else ox_node_uri(o))
            taken += 1
            if taken >= limit:
                break
        self.size += taken
        return taken

    def add_rdflib(self, s, p, o) -> None:
        """Add a triple of rdflib terms."""
        su = rdflib_node_uri(s)
        pred = self._check(str(p), "predicate")
        if isinstance(o, Literal):
            dt = str(o.datatype) if o.datatype is not None else None
            self._add_value(su, self.codec.key(pred, dt, o.language), str(o))
        elif pred == RDF_TYPE and isinstance(o, URIRef) and not str(o).startswith(BNODE_PREFIX):
            self._add_class(su, str(o))
        else:
            self._add_rel(su, pred, rdflib_node_uri(o))
        self.size += 1

    def split(self, uris: Iterable[str]) -> tuple[list[str], list[str]]:
        """``(full, bare)``: the nodes among ``uris`` with class labels or literal values, and the others."""
        nodes = self.nodes
        full, bare = [], []
        for uri in uris:
            row = nodes[uri]
            (full if row[1] or row[2] else bare).append(uri)
        return full, bare

    def value_count(self, uris: Iterable[str]) -> int:
        """How many literal values (distinct per node and key) the nodes of ``uris`` have."""
        nodes = self.nodes
        return sum(len(v) for uri in uris for v in nodes[uri][2].values())
