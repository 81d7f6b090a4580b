"""Refuse RDF/XML whose DTD could expand without bound or read other files.

pyoxigraph's RDF/XML parser expands the entities a DOCTYPE declares, nested
ones included: a few hundred bytes of nested declarations ("billion laughs")
ask for gigabytes and abort the process. Before an RDF/XML file is parsed,
:func:`check_entities` reads its prolog with expat (bounded memory, no
expansion) and allows only what ontologies really use, plain abbreviations
such as ``<!ENTITY owl "http://www.w3.org/2002/07/owl#">``:

- an external entity (``SYSTEM``/``PUBLIC``) is refused: ``external entity not allowed``;
- a parameter entity, or an entity whose text refers to another entity, is
  refused: ``entity expansion not allowed``;
- the text entity references add to the file may total at most
  :data:`EXPANSION_FACTOR` times the file's size (and at least
  :data:`MIN_EXPANSION_BYTES`); beyond that: ``entity expansion limit exceeded``.

Files without entity declarations are only read up to their first element.
"""

from __future__ import annotations

from pathlib import Path

from core.errors import ParseError
from kg.rdf_formats import open_binary

#: Entity references may add at most this many times the file's size in text ...
EXPANSION_FACTOR = 10
#: ... and at least this many bytes.
MIN_EXPANSION_BYTES = 1 << 20

_HINT = "kgft reads RDF/XML entities only as plain abbreviations; expand them in the file or convert it to Turtle"


class _Prolog(Exception):
    """The prolog ended without entity declarations: nothing to check further."""


class _Checker:
    """expat handlers that vet entity declarations and count what references expand to."""

    def __init__(self, path: Path, parser, budget: int) -> None:
        self.path, self.parser, self.budget = path, parser, budget
        self.entities: dict[str, int] = {}
        self.expanded = 0
        self.in_prolog = True

    def refuse(self, reason: str) -> ParseError:
        return ParseError(self.path, f"{reason} (rdfxml)", line=self.parser.CurrentLineNumber,
                          column=self.parser.CurrentColumnNumber + 1, hint=_HINT)

    def declare(self, name, is_parameter, value, base, system_id, public_id, notation) -> None:
        if system_id is not None or public_id is not None:
            raise self.refuse(f"external entity not allowed ({name})")
        if is_parameter or value is None or "&" in value or "%" in value:
            raise self.refuse(f"entity expansion not allowed (nested entity {name})")
        self.entities[name] = len(value.encode("utf-8"))

    def start(self, name, attributes) -> None:
        self.in_prolog = False
        if not self.entities:
            raise _Prolog
        # Attribute values arrive expanded: count them whole (an upper bound of their expansion).
        self.add(sum(len(v) for v in attributes.values()))

    def text(self, data: str) -> None:
        # With a default handler set, expat passes internal entity references through unexpanded.
        if data.startswith("&") and data.endswith(";"):
            self.add(self.entities.get(data[1:-1], 0))

    def add(self, size: int) -> None:
        self.expanded += size
        if self.expanded > self.budget:
            raise self.refuse(f"entity expansion limit exceeded ({self.budget:,} bytes)")


def check_entities(path: Path) -> None:
    """Refuse an RDF/XML file with unsafe entity declarations (see the module docstring).

    Malformed XML after the prolog is left to the RDF/XML parser, which reports
    it with its position; a malformed prolog (where entities are declared) is refused here.

    Args:
        path (Path): The RDF/XML file (optionally ``.gz``).

    Raises:
        ParseError: an external, parameter or nested entity, or too much expansion (file:line).
        DataError: the file cannot be read.
    """
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate()
    size = Path(path).stat().st_size
    checker = _Checker(Path(path), parser, max(MIN_EXPANSION_BYTES, EXPANSION_FACTOR * size))
    parser.EntityDeclHandler = checker.declare
    parser.StartElementHandler = checker.start
    parser.DefaultHandler = checker.text  # also keeps expat from expanding internal entities
    try:
        with open_binary(Path(path)) as fh:
            parser.ParseFile(fh)
    except _Prolog:
        return
    except xml.parsers.expat.ExpatError as exc:
        if checker.in_prolog:
            raise ParseError(path, f"{xml.parsers.expat.ErrorString(exc.code)} (rdfxml)", line=exc.lineno,
                             column=exc.offset + 1) from None
