"""Conversions between rdflib terms and pyoxigraph terms.

The store interface speaks rdflib terms; parsing and the embedded store work
with pyoxigraph terms (Rust objects, much cheaper). Blank nodes keep their ids
both ways so that file-scoped ids (see :mod:`kg.parse`) survive a round trip.
"""

from __future__ import annotations

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def to_rdflib(term):
    """A pyoxigraph ``NamedNode``/``BlankNode``/``Literal`` as the rdflib term.

    ``xsd:string`` literals become plain rdflib literals (no datatype), as
    rdflib's own parsers produce them.
    """
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef

    kind = type(term)
    if kind is ox.NamedNode:
        return URIRef(term.value)
    if kind is ox.BlankNode:
        return BNode(term.value)
    if kind is ox.Literal:
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"not an RDF term: {term!r}")


def to_ox(term):
    """An rdflib ``URIRef``/``BNode``/``Literal`` as the pyoxigraph term."""
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and str(term.datatype) != RDF_LANG_STRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an rdflib term: {term!r}")
