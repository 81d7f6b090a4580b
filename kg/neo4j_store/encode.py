"""How RDF terms map onto the n10s property graph, both ways.

* An IRI is a ``:Resource {uri: IRI}`` node; a blank node is a ``:Resource``
  whose ``uri`` is ``bnode://<id>`` (the n10s convention). The parser already
  gives blank nodes file-scoped ids (``k<sha256 prefix>b<n>``), so two files
  never share one and re-importing a file reuses the same nodes.
* ``rdf:type`` with an IRI object is a node label named by the full class IRI
  (n10s ``handleVocabUris: "KEEP"``); ``rdf:type`` to a blank node stays a
  relationship.
* An object property is a relationship whose type is the full predicate IRI.
* A literal is a value in a list-valued node property (n10s
  ``handleMultival: "ARRAY"``) holding lexical forms as strings. The property
  key tells how to read the values back:

  ========================================  ==================================
  literal                                   property key
  ========================================  ==================================
  ``xsd:string`` (plain)                    ``<predicate IRI>``
  language-tagged, ``keep_lang=False``      ``<predicate IRI>`` (tag dropped,
                                            the n10s default)
  language-tagged, ``keep_lang=True``       ``<predicate IRI>@<tag>``
  any other datatype                        ``<predicate IRI>^^<datatype IRI>``
  ========================================  ==================================

  Every key kgft writes is also recorded in a ``:_KgftKey {key, predicate,
  datatype, lang}`` node, so reading back never guesses (an IRI may contain
  ``@``; it can never contain ``^``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from core.errors import StoreError
from kg.neo4j_store.schema import check_iri, check_lang

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
BNODE_PREFIX = "bnode://"


@dataclass(frozen=True)
class KeyInfo:
    """What a literal property key means.

    Args:
        predicate (str): The predicate IRI.
        datatype (str, optional): The datatype IRI; ``None`` for plain and language-tagged strings.
        lang (str, optional): The language tag, when kept.
    """

    predicate: str
    datatype: str | None = None
    lang: str | None = None


class KeyCodec:
    """Maps ``(predicate, datatype, lang)`` to property keys, validating each once.

    Args:
        keep_lang (bool): Keep language tags (``P@lang`` keys). (default: ``False``)
    """

    def __init__(self, keep_lang: bool = False) -> None:
        self.keep_lang = keep_lang
        #: ``(predicate, datatype, lang) -> key`` for the combinations seen so far.
        self.keys: dict[tuple, str] = {}
        self.known: dict[str, KeyInfo] = {}

    def key(self, predicate: str, datatype: str | None, lang: str | None) -> str:
        """The property key for a literal of ``predicate`` (validated, cached)."""
        cache = (predicate, datatype, lang)
        key = self.keys.get(cache)
        if key is not None:
            return key
        check_iri(predicate, "predicate")
        if lang:
            if self.keep_lang:
                info = KeyInfo(predicate, None, check_lang(lang).lower())
                key = f"{predicate}@{info.lang}"
            else:
                info, key = KeyInfo(predicate), predicate
        elif datatype and datatype not in (XSD_STRING, RDF_LANG_STRING):
            info = KeyInfo(predicate, check_iri(datatype, "datatype"))
            key = f"{predicate}^^{datatype}"
        else:
            info, key = KeyInfo(predicate), predicate
        self.keys[cache] = key
        self.known.setdefault(key, info)
        return key


def ox_node_uri(term) -> str:
    """The ``uri`` of the node for a pyoxigraph ``NamedNode`` or ``BlankNode``.

    Raises:
        StoreError: the term is a literal or an RDF-star triple.
    """
    kind = type(term)
    if kind is ox.NamedNode:
        return term.value
    if kind is ox.BlankNode:
        return BNODE_PREFIX + term.value
    raise StoreError(f"cannot store {term} as a Neo4j node (only IRIs and blank nodes)")


def rdflib_node_uri(term) -> str:
    """The ``uri`` of the node for an rdflib ``URIRef`` or ``BNode``.

    Raises:
        StoreError: the term is not an IRI or blank node.
    """
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, BNode):
        return BNODE_PREFIX + str(term)
    raise StoreError(f"cannot store {term!r} as a Neo4j node (only IRIs and blank nodes)")


def to_term(uri: str):
    """The rdflib ``URIRef`` or ``BNode`` for a node ``uri``."""
    if uri.startswith(BNODE_PREFIX):
        return BNode(uri[len(BNODE_PREFIX):])
    return URIRef(uri)


def to_literal(value, info: KeyInfo):
    """The rdflib ``Literal`` for one stored value of a key described by ``info``, its lexical form as stored.

    ``normalize=False``: rdflib would otherwise rewrite typed forms (``"01"^^xsd:integer`` as ``"1"``).
    """
    text = value if isinstance(value, str) else str(value)
    if info.lang:
        return Literal(text, lang=info.lang)
    if info.datatype:
        return Literal(text, datatype=URIRef(info.datatype), normalize=False)
    return Literal(text)
