"""OBO flat files → the triples of the ontology's own OWL release (OBO 1.4 → OWL mapping).

OBO Foundry ontologies ship both ``x.obo`` and ``x.owl``; importing either
gives the same classes, labels, synonyms, cross-references, definitions and
subclass edges. The file is parsed with `fastobo <https://pypi.org/project/fastobo/>`_
(a Rust OBO 1.4 parser) and each frame is mapped as the OBO-to-OWL translation
does (``oboInOwl`` and ``IAO`` annotation properties):

========================  =====================================================
OBO                       RDF
========================  =====================================================
``[Term] id: GO:0008150`` ``obo:GO_0008150 a owl:Class`` (OBO Foundry PURL)
``[Typedef] id: part_of`` ``a owl:ObjectProperty``; a typedef with an
                          ``xref: BFO:0000050`` is that property (shorthand)
``name``                  ``rdfs:label``
``def``                   ``obo:IAO_0000115``
``synonym: "x" EXACT``    ``oboInOwl:hasExactSynonym`` (``RELATED``, ``BROAD``,
                          ``NARROW`` likewise)
``xref``                  ``oboInOwl:hasDbXref`` (a string, e.g. ``"Wikipedia:Unit"``)
``is_a``                  ``rdfs:subClassOf``
``relationship: R C``     ``rdfs:subClassOf [owl:Restriction; owl:onProperty R;
                          owl:someValuesFrom C]``
``is_obsolete: true``     ``owl:deprecated true``
``alt_id``, ``namespace`` ``oboInOwl:hasAlternativeId``, ``oboInOwl:hasOBONamespace``,
``subset``, ``comment``   ``oboInOwl:inSubset``, ``rdfs:comment``,
``created_by`` ...        ``oboInOwl:created_by``, ``oboInOwl:creation_date``,
                          ``oboInOwl:id``
========================  =====================================================

Identifiers: ``PREFIX:LOCAL`` becomes ``http://purl.obolibrary.org/obo/PREFIX_LOCAL``
(or the base an ``idspace:`` header clause declares), an unprefixed id ``x``
becomes ``http://purl.obolibrary.org/obo/<ontology>#x``, and a URL stays as it is.
Not written: axiom annotations (the xrefs of a definition or synonym, synonym
types), ``intersection_of``/``union_of``/``equivalent_to``/``disjoint_from``
class expressions, ``[Instance]`` frames and header annotations other than the
ontology IRI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from core.errors import DataError, ParseError
from kg.rdf_formats import locate_invalid_utf8

OBO = "http://purl.obolibrary.org/obo/"
OBO_IN_OWL = "http://www.geneontology.org/formats/oboInOwl#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"

#: Synonym scope → annotation property.
SYNONYM_PROPERTIES = {
    "EXACT": OBO_IN_OWL + "hasExactSynonym",
    "RELATED": OBO_IN_OWL + "hasRelatedSynonym",
    "BROAD": OBO_IN_OWL + "hasBroadSynonym",
    "NARROW": OBO_IN_OWL + "hasNarrowSynonym",
}

#: Clauses whose value is written as a plain string under one property.
_STRING_CLAUSES = {
    "NameClause": (_RDFS + "label", "name"),
    "DefClause": (OBO + "IAO_0000115", "definition"),
    "CommentClause": (_RDFS + "comment", "comment"),
    "CreatedByClause": (OBO_IN_OWL + "created_by", "creator"),
}


class _Frames:
    """Maps fastobo frames to pyoxigraph quads; remembers what later frames need."""

    def __init__(self, ontology: str, idspaces: dict[str, str], scope: str) -> None:
        import pyoxigraph as ox

        self.ox = ox
        self.ontology = ontology
        self.idspaces = idspaces
        self.scope = scope
        self.blanks = 0
        self.predicates: dict[str, object] = {}  # IRI -> NamedNode, made once
        self.shorthands: dict[str, str] = {}  # unprefixed typedef id -> its xref's IRI
        self.relationships: list[tuple] = []  # (class, typedef id, target IRI), written last

    def iri(self, ident) -> str:
        """The IRI of an OBO identifier (prefixed, unprefixed or URL)."""
        kind = type(ident).__name__
        if kind == "PrefixedIdent":
            base = self.idspaces.get(ident.prefix, f"{OBO}{ident.prefix}_")
            return base + ident.local
        if kind == "Url":
            return str(ident)
        return f"{OBO}{self.ontology}#{ident}"

    def node(self, ident):
        return self.ox.NamedNode(self.iri(ident))

    def literal(self, text) -> object:
        return self.ox.Literal(str(text))

    def blank(self):
        self.blanks += 1
        return self.ox.BlankNode(f"k{self.scope}b{self.blanks - 1}")

    def triple(self, s, p: str, o):
        predicate = self.predicates.get(p)
        if predicate is None:
            predicate = self.predicates[p] = self.ox.NamedNode(p)
        return self.ox.Quad(s, predicate, o)

    def frame(self, frame) -> Iterator:
        """The triples of one ``[Term]`` or ``[Typedef]`` frame (other frames: none)."""
        kind = type(frame).__name__
        if kind == "TermFrame":
            subject, rdf_type = self.node(frame.id), _OWL + "Class"
        elif kind == "TypedefFrame":
            subject, rdf_type = self.ox.NamedNode(self.typedef_iri(frame)), _OWL + "ObjectProperty"
        else:
            return
        yield self.triple(subject, _RDF + "type", self.ox.NamedNode(rdf_type))
        yield self.triple(subject, OBO_IN_OWL + "id", self.literal(frame.id))
        for clause in frame:
            yield from self.clause(subject, clause, kind)

    def typedef_iri(self, frame) -> str:
        """A typedef's IRI: an unprefixed id with a prefixed ``xref`` is that xref (``part_of`` → BFO_0000050)."""
        if type(frame.id).__name__ == "UnprefixedIdent":
            xrefs = [c.xref.id for c in frame if type(c).__name__ == "XrefClause"]
            prefixed = [x for x in xrefs if type(x).__name__ == "PrefixedIdent"]
            if prefixed:
                self.shorthands[str(frame.id)] = self.iri(prefixed[0])
                return self.shorthands[str(frame.id)]
        return self.iri(frame.id)

    def clause(self, subject, clause, kind: str) -> Iterator:
        """The triples of one clause of a frame whose IRI is ``subject``."""
        name = type(clause).__name__
        if name in _STRING_CLAUSES:
            prop, attr = _STRING_CLAUSES[name]
            yield self.triple(subject, prop, self.literal(getattr(clause, attr)))
        elif name == "SynonymClause":
            synonym = clause.synonym
            yield self.triple(subject, SYNONYM_PROPERTIES[synonym.scope], self.literal(synonym.desc))
        elif name == "XrefClause":
            yield self.triple(subject, OBO_IN_OWL + "hasDbXref", self.literal(clause.xref.id))
        elif name == "IsAClause":
            parent = clause.term if kind == "TermFrame" else clause.typedef
            prop = "subClassOf" if kind == "TermFrame" else "subPropertyOf"
            yield self.triple(subject, _RDFS + prop, self.node(parent))
        elif name == "IsObsoleteClause" and clause.obsolete:
            yield self.triple(subject, _OWL + "deprecated", self.ox.Literal("true", datatype=self.ox.NamedNode(_XSD_BOOLEAN)))
        elif name == "AltIdClause":
            yield self.triple(subject, OBO_IN_OWL + "hasAlternativeId", self.literal(clause.alt_id))
        elif name == "NamespaceClause":
            yield self.triple(subject, OBO_IN_OWL + "hasOBONamespace", self.literal(clause.namespace))
        elif name == "SubsetClause":
            yield self.triple(subject, OBO_IN_OWL + "inSubset", self.node(clause.subset))
        elif name == "CreationDateClause":
            yield self.triple(subject, OBO_IN_OWL + "creation_date", self.literal(clause.raw_value()))  # as written, e.g. 2012-06-13T01:09:05Z
        elif name == "RelationshipClause" and kind == "TermFrame":
            self.relationships.append((subject, clause.typedef, self.iri(clause.term)))

    def restrictions(self) -> Iterator:
        """``relationship`` clauses as existential restrictions (typedef shorthands now known)."""
        declared: set[str] = set()
        for subject, typedef, target in self.relationships:
            prop = self.shorthands.get(str(typedef)) or self.iri(typedef)
            if prop not in declared:
                declared.add(prop)
                yield self.triple(self.ox.NamedNode(prop), _RDF + "type", self.ox.NamedNode(_OWL + "ObjectProperty"))
            restriction = self.blank()
            yield self.triple(subject, _RDFS + "subClassOf", restriction)
            yield self.triple(restriction, _RDF + "type", self.ox.NamedNode(_OWL + "Restriction"))
            yield self.triple(restriction, _OWL + "onProperty", self.ox.NamedNode(prop))
            yield self.triple(restriction, _OWL + "someValuesFrom", self.ox.NamedNode(target))


def _header(reader) -> tuple[str | None, dict[str, str]]:
    """The ontology id (``ontology:`` clause, ``None`` without one) and the declared ``idspace`` bases."""
    ontology, idspaces = None, {}
    for clause in reader.header():
        name = type(clause).__name__
        if name == "OntologyClause":
            ontology = str(clause.ontology)
        elif name == "IdspaceClause":
            idspaces[str(clause.prefix)] = str(clause.url)
    return ontology, idspaces


def iter_obo_quads(path: Path | str, scope: str) -> Iterator:
    """Stream an OBO file's triples as its OWL release writes them (quads in the default graph).

    Args:
        path (Path or str): The ``.obo`` file (optionally ``.gz``).
        scope (str): Blank-node scope id (see :mod:`kg.parse`); restriction
            nodes are named ``k<scope>b<n>``.

    Yields:
        pyoxigraph.Quad: One statement (see the module docstring for the mapping).

    Raises:
        ParseError: the file is not valid OBO 1.4 (file, 1-based line, reason).
        DataError: the file cannot be read.
    """
    import fastobo

    from kg.rdf_formats import open_binary

    path = Path(path)
    try:
        with open_binary(path) as fh:
            reader = fastobo.iter(fh)
            ontology, idspaces = _header(reader)
            # Unprefixed ids of a file without an `ontology:` clause live under its name.
            frames = _Frames(ontology or path.name.split(".")[0].lower(), idspaces, scope)
            if ontology:
                yield frames.triple(frames.ox.NamedNode(f"{OBO}{ontology}.owl"), _RDF + "type",
                                    frames.ox.NamedNode(_OWL + "Ontology"))
            for frame in reader:
                yield from frames.frame(frame)
            yield from frames.restrictions()
    except SyntaxError as exc:
        raise ParseError(path, f"{exc.msg} (obo)", line=exc.lineno, column=exc.offset) from None
    except OSError as exc:
        where = locate_invalid_utf8(path)
        if where is None:
            raise DataError(f"cannot read {path}: {exc}") from exc
        line, column, offset = where
        raise ParseError(path, f"invalid UTF-8 (byte offset {offset}) (obo)", line=line, column=column,
                         hint="kgft reads OBO as UTF-8; re-encode the file, e.g. iconv -f latin1 -t utf-8") from None
