"""Canonical XML literals: what RDF/XML's ``rdf:parseType="Literal"`` must give.

RDF 1.1 XML Syntax (section 2.8) makes the value of a ``parseType="Literal"``
property the exclusive XML canonicalization of its content. pyoxigraph's
parser keeps the content as written, with every in-scope namespace declared
on each top-level element (``<br />`` comes out as ``<br xmlns:eg="..."></br>``).
:func:`canonical_xml` rewrites such a fragment canonically: empty elements
as start-end tag pairs, attributes sorted, only the namespace declarations an
element uses, text escaped canonically. Python's C14N 2.0 writer
(:func:`xml.etree.ElementTree.canonicalize`) renders namespaces the way
exclusive C14N 1.0 does for such fragments (no inclusive prefix list).
"""

from __future__ import annotations

#: The datatype of XML literals.
XML_LITERAL = "http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral"
_WRAPPER = "kgft-fragment"


def canonical_xml(fragment: str) -> str:
    """The canonical form of XML content (text and elements, no single root needed).

    The fragment must declare the namespaces it uses, as pyoxigraph's parser
    writes them; one that is not well-formed is returned unchanged.
    """
    from xml.etree.ElementTree import ParseError, canonicalize

    try:
        wrapped = canonicalize(f"<{_WRAPPER}>{fragment}</{_WRAPPER}>", with_comments=False)
    except ParseError:
        return fragment
    return wrapped[len(_WRAPPER) + 2: -(len(_WRAPPER) + 3)]
