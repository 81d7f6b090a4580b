"""Annotations on Neo4j: one ``:_KgftAnnotation`` node per row, with its provenance as properties.

A node holds the row's ``id`` (:func:`kg.annotations.graph.annotation_id`),
its cells (``kind``, ``subject``, ``predicate``, ``object``, ``author``,
``note``, ...), its provenance ``source`` (the file name), ``line`` and
``time`` (when first applied), and ``preexisting`` (a ``triple`` row: whether
the graph held its statement before). Like kgft's other bookkeeping nodes it
never carries ``:Resource`` and has no relationship, so it is no part of the
RDF graph (triples, counts, stats, labels, export, paths). A ``triple`` row's
statement is written to, and removed from, the graph as the importer would
(:class:`kg.neo4j_store.batch.Batch`), in the same transaction as the nodes.
Every value reaches Cypher as a ``$parameter``.
"""

from __future__ import annotations

from typing import Iterable

from kg.annotations.fileformat import COLUMNS, Annotation
from kg.annotations.graph import StoredAnnotation, statement_quad
from core.errors import ParseError, StoreError
from kg.neo4j_store.schema import ANNOTATION_LABEL, RESOURCE

_READ = f"MATCH (a:{ANNOTATION_LABEL}) RETURN a {{.*}} AS a"
_DELETE = f"UNWIND $ids AS id MATCH (a:{ANNOTATION_LABEL} {{id: id}}) DELETE a"
_WRITE = f"UNWIND $rows AS row MERGE (a:{ANNOTATION_LABEL} {{id: row.id}}) SET a = row"
# A concept is known when its node states something: a class, a literal value or an outgoing edge.
_UNKNOWN = (
    f"UNWIND $iris AS iri OPTIONAL MATCH (n:{RESOURCE} {{uri: iri}}) WITH iri, n "
    "WHERE n IS NULL OR (size(labels(n)) = 1 AND keys(n) = ['uri'] AND NOT EXISTS { (n)-->() }) RETURN iri"
)
_HELD = (
    f"UNWIND $rows AS row OPTIONAL MATCH (n:{RESOURCE} {{uri: row.s}}) WITH row, n WHERE n IS NOT NULL AND ("
    "(row.how = 'class' AND row.o IN labels(n)) OR (row.how = 'value' AND row.o IN coalesce(n[row.key], [])) "
    f"OR (row.how = 'edge' AND EXISTS {{ MATCH (n)-[r]->(:{RESOURCE} {{uri: row.o}}) WHERE type(r) = row.p }})) "
    "RETURN row.i AS i"
)


class Neo4jAnnotations:
    """The annotations of a :class:`kg.neo4j_store.Neo4jStore` (see :class:`kg.annotations.graph.AnnotationStore`).

    Args:
        store (Neo4jStore): The store.
    """

    def __init__(self, store) -> None:
        self.store = store

    def annotations(self) -> list[StoredAnnotation]:
        """Every annotation the store holds, ordered by file name and line."""
        found = []
        for record in self.store.run(_READ, "reading annotations", read=True):
            node = record["a"]
            cells = {name: node[name] for name in COLUMNS if name in node}
            row = Annotation(**cells, source=node["source"], line=int(node["line"]))
            found.append(StoredAnnotation(node["id"], row, node["time"], bool(node.get("preexisting"))))
        return sorted(found, key=lambda s: (s.annotation.source, s.annotation.line, s.id))

    def unknown_concepts(self, iris: Iterable[str]) -> set[str]:
        """The IRIs among ``iris`` whose node is missing or states nothing."""
        wanted = sorted(set(iris))
        if not wanted:
            return set()
        return {r["iri"] for r in self.store.run(_UNKNOWN, "looking up annotated concepts", read=True, iris=wanted)}

    def _batch(self, rows: Iterable[Annotation]):
        """The statements of ``rows`` as a :class:`~kg.neo4j_store.batch.Batch`.

        Raises:
            ParseError: ``file:line`` of a row whose statement Neo4j cannot store (an IRI it refuses).
        """
        batch = self.store.new_batch()
        for row in rows:
            try:
                batch.add_ox([statement_quad(row)], 1)
            except StoreError as exc:
                raise ParseError(row.source, str(exc.message), row.line, hint=exc.hint) from None
        return batch

    def _encoded(self, i: int, row: Annotation) -> dict:
        """How the graph holds the statement of ``row`` (the parameters of one :data:`_HELD` row)."""
        batch = self._batch([row])
        for predicate, pairs in batch.rels.items():
            ((s, o),) = pairs
            return {"i": i, "how": "edge", "s": s, "p": predicate, "o": o}
        ((s, classes, values),) = [node for node in batch.nodes.values() if node[1] or node[2]]
        if classes:
            return {"i": i, "how": "class", "s": s, "o": classes[0]}
        ((key, (value,)),) = values.items()
        return {"i": i, "how": "value", "s": s, "key": key, "o": value}

    def held(self, rows: Iterable[Annotation]) -> set[tuple]:
        """The statements of the ``triple`` rows the graph holds.

        Raises:
            ParseError: ``file:line`` of a row whose statement Neo4j cannot store.
        """
        triples = [row for row in rows if row.kind == "triple"]
        if not triples:
            return set()
        params = [self._encoded(i, row) for i, row in enumerate(triples)]
        found = self.store.run(_HELD, "looking up annotated statements", read=True, rows=params)
        return {triples[r["i"]].statement for r in found}

    def commit(self, before: list[StoredAnnotation], after: list[StoredAnnotation],
               add: list[Annotation], drop: list[Annotation]) -> None:
        """Replace the nodes ``before`` by ``after`` and add and remove statements, in one transaction."""
        from kg.neo4j_store.remove import remove_batch
        from kg.neo4j_store.write import lock_writer

        kept = {s.id for s in after}
        gone = [s.id for s in before if s.id not in kept]
        nodes = [_properties(s) for s in after]
        added, dropped = self._batch(add), self._batch(drop)

        def work(tx, fresh):
            lock_writer(tx)
            if added.size:
                self.store.write_in(tx, added, None, fresh)
            if dropped.size:
                remove_batch(tx, dropped)
            if gone:
                tx.run(_DELETE, ids=gone).consume()
            if nodes:
                tx.run(_WRITE, rows=nodes).consume()

        self.store.run_write(work, "writing annotations")


def _properties(stored: StoredAnnotation) -> dict:
    """The properties of the node of ``stored``."""
    row = stored.annotation
    return {"id": stored.id, **{name: getattr(row, name) for name in COLUMNS}, "source": row.source,
            "line": row.line, "time": stored.time, "preexisting": stored.preexisting}
