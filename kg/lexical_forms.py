"""Typed literals exactly as written, beside Oxigraph's canonical values.

Oxigraph stores XSD numbers, booleans, dates, times and durations as values:
``"1.0"^^xsd:decimal``, ``"01"^^xsd:integer`` and ``"+1"^^xsd:integer`` come
back from the store as ``"1"``. The embedded store's graph (the default graph)
keeps these values, so queries compare them as numbers, and records each form
that differs from its canonical one beside it, in the named graph
:data:`FORMS_GRAPH`: for ``(s, p, "1.0"^^xsd:decimal)`` the quad ``(s, p,
"1.0"^^<urn:kgft:lexical:http://www.w3.org/2001/XMLSchema#decimal>)`` (an
unknown datatype, which Oxigraph stores verbatim). :func:`restore` puts the
forms back on export.

Two forms of one value on the same subject and predicate (``"1"`` and ``"+1"``)
are one stored triple (``count()`` says so) but two RDF terms; the canonical
form is then recorded too, and both come back. One exception: in an N-Triples
file over 200,000 lines, loaded in concurrent chunks, forms of one value in
different chunks are only known to their own chunk.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

#: The named graph holding the written forms (never part of kgft's single graph).
FORMS_GRAPH_IRI = "urn:kgft:lexical-forms"
_ESCAPE = "urn:kgft:lexical:"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = _XSD + "string"
#: N-Triples bytes that mark a line worth checking (a typed literal of an XSD datatype).
TYPED_MARK = b"^^<" + _XSD.encode()
_INTEGER = r"0|-?[1-9][0-9]{0,17}"  # at most 18 digits: within what Oxigraph stores exactly
_DECIMAL = _INTEGER + r"|-?(?:0|[1-9][0-9]{0,17})\.[0-9]{0,17}[1-9]"
#: Forms that are surely canonical, by datatype (checked without asking Oxigraph).
_CANONICAL = {_XSD + "integer": re.compile(_INTEGER), _XSD + "decimal": re.compile(_DECIMAL),
              _XSD + "boolean": re.compile("true|false")}
#: An N-Triples line whose object is surely kept as written (xsd:string, or a canonical number or boolean).
_KEPT_LINE = re.compile(b"|".join(
    b'"(?:' + form + rb')"\^\^<' + re.escape((_XSD + name).encode()) + b">"
    for name, form in (("string", rb'(?:[^"\\]|\\.)*'), ("integer", _INTEGER.encode()),
                       ("decimal", _DECIMAL.encode()), ("boolean", b"true|false"))))


def forms_graph():
    """The ``pyoxigraph.NamedNode`` of :data:`FORMS_GRAPH_IRI`."""
    import pyoxigraph as ox

    return ox.NamedNode(FORMS_GRAPH_IRI)


def _is_candidate(term) -> bool:
    import pyoxigraph as ox

    if type(term) is not ox.Literal or term.language:
        return False
    datatype = term.datatype.value
    return datatype.startswith(_XSD) and datatype != _XSD_STRING


def canonical_values(literals: list) -> list[str]:
    """What Oxigraph's storage turns each ``pyoxigraph.Literal`` into (its lexical form)."""
    import pyoxigraph as ox

    scratch = ox.Store()
    predicate = ox.NamedNode("urn:kgft:value")
    scratch.extend(ox.Quad(ox.NamedNode(f"urn:kgft:{i}"), predicate, literal) for i, literal in enumerate(literals))
    values = [""] * len(literals)
    for quad in scratch:
        values[int(quad.subject.value.rpartition(":")[2])] = quad.object.value
    return values


def _looks_canonical(literal) -> bool:
    """A quick sure "yes" for common canonical forms (integers, decimals, booleans); ``False`` means unsure."""
    pattern = _CANONICAL.get(literal.datatype.value)
    return pattern is not None and pattern.fullmatch(literal.value) is not None


def form_quads(quads: Iterable, store=None) -> list:
    """The :data:`FORMS_GRAPH_IRI` quads recording the non-canonical literals of ``quads``.

    Args:
        quads: Statements about to be written.
        store (pyoxigraph.Store, optional): The store they go to, not yet holding them:
            then a form written to it earlier counts as in the same batch. (default: ``None``)
    """
    import pyoxigraph as ox

    candidates = [quad for quad in quads if _is_candidate(quad.object)]
    unsure = [quad for quad in candidates if not _looks_canonical(quad.object)]
    variants = [(quad, value) for quad, value in zip(unsure, canonical_values([q.object for q in unsure]))
                if value != quad.object.value]
    has_forms = store is not None and next(iter(store.quads_for_pattern(None, None, None, forms_graph())), None) \
        is not None
    if not variants and not has_forms:
        return []
    varied = {_key(quad, value) for quad, value in variants}
    # The other candidates are in canonical form; they matter next to a variant, or to recorded forms.
    variant_ids, pairs = {id(quad) for quad, _ in variants}, {key[:2] for key in varied}
    kept = [(quad, _key(quad, quad.object.value)) for quad in candidates
            if id(quad) not in variant_ids and (has_forms or (quad.subject, quad.predicate) in pairs)]
    earlier = set()
    if store is not None and next(iter(store), None) is not None:
        earlier = _written_earlier(store, {key for _, key in kept}, varied, has_forms)
    graph = forms_graph()
    return [ox.Quad(quad.subject, quad.predicate, _escaped(quad.object), graph) for quad, _ in variants] + \
        [ox.Quad(quad.subject, quad.predicate, _escaped(quad.object), graph)
         for quad, key in kept if key in varied or key in earlier] + \
        [ox.Quad(s, p, _escaped(ox.Literal(v, datatype=dt)), graph) for s, p, dt, v in earlier & varied]


def _key(quad, value: str) -> tuple:
    return quad.subject, quad.predicate, quad.object.datatype, value


def _written_earlier(store, keys: set, varied: set, has_forms: bool) -> set:
    """Keys whose canonical form must be recorded because of what ``store`` holds.

    A value stored without recorded forms was written in its canonical form; a
    new variant of it means recording that form too. A value with recorded
    forms gets its canonical form recorded when it is written.
    """
    import pyoxigraph as ox

    recorded: dict[tuple, set] = {}

    def is_recorded(key) -> bool:
        if not has_forms:
            return False
        pair = key[:2]
        if pair not in recorded:
            recorded[pair] = _recorded(store, *pair)
        return key in recorded[pair]

    earlier = set()
    for key in varied:
        subject, predicate, datatype, value = key
        if not is_recorded(key) and ox.Quad(subject, predicate, ox.Literal(value, datatype=datatype)) in store:
            earlier.add(key)
    if has_forms:
        earlier.update(key for key in keys - varied if is_recorded(key))
    return earlier


def _recorded(store, subject, predicate) -> set:
    """Keys ``(s, p, datatype, value)`` of the forms ``store`` records for one subject and predicate."""
    written = [_unescaped(f.object) for f in store.quads_for_pattern(subject, predicate, None, forms_graph())]
    return {(subject, predicate, literal.datatype, value)
            for literal, value in zip(written, canonical_values(written))}


def _escaped(literal):
    import pyoxigraph as ox

    return ox.Literal(literal.value, datatype=ox.NamedNode(_ESCAPE + literal.datatype.value))


def _unescaped(literal):
    import pyoxigraph as ox

    return ox.Literal(literal.value, datatype=ox.NamedNode(literal.datatype.value.removeprefix(_ESCAPE)))


def form_quads_of_lines(text: bytes, format) -> list:
    """:func:`form_quads` of an N-Triples chunk, parsing only lines whose literal may not be kept as written."""
    import pyoxigraph as ox

    if TYPED_MARK not in text:
        return []
    typed = [line for line in text.split(b"\n") if TYPED_MARK in line]
    unsure = [line for line in typed if not _KEPT_LINE.search(line)]
    if not form_quads(ox.parse(b"\n".join(unsure), format, lenient=True)):
        return []
    return form_quads(ox.parse(b"\n".join(typed), format, lenient=True))  # with the canonical forms beside


def restore(quads: Iterable, forms: list) -> Iterator:
    """``quads`` (the graph), each canonicalized literal replaced by the forms recorded for it.

    Args:
        quads: The graph's quads.
        forms: Every quad of :data:`FORMS_GRAPH_IRI`.
    """
    import pyoxigraph as ox

    written = [_unescaped(f.object) for f in forms]
    by_value: dict[tuple, list] = {}
    for form, literal, value in zip(forms, written, canonical_values(written)):
        by_value.setdefault((form.subject, form.predicate, literal.datatype, value), []).append(literal)
    for quad in quads:
        obj = quad.object
        variants = by_value.get((quad.subject, quad.predicate, obj.datatype, obj.value)) \
            if type(obj) is ox.Literal else None
        if variants is None:
            yield quad
        else:
            for literal in variants:
                yield ox.Quad(quad.subject, quad.predicate, literal, quad.graph_name)
