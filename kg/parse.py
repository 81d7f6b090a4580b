"""Streaming RDF parsing: format detection, blank-node scoping, errors with file:line.

Every store imports through this module, so both stores see exactly the same
triples. Parsing uses pyoxigraph's Rust parsers (Turtle, N-Triples, N-Quads,
TriG, RDF/XML, JSON-LD), which stream: memory stays bounded whatever the file
size. Gzip-compressed files (``.gz``) are decompressed on the fly.

Blank nodes are scoped per source file: the n-th distinct blank node of a file
gets the id ``<scope>b<n>`` where ``scope`` is derived from the SHA-256 of the
file's bytes. Two different files therefore never share a blank node, and
re-importing a file yields the very same ids (imports stay idempotent).

Named graphs in N-Quads/TriG files are merged into one graph: kgft's stores
hold a single RDF graph. RDF/XML ``parseType="Literal"`` content is
canonicalized, as the RDF/XML specification requires (:mod:`kg.xml_literal`).
"""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from itertools import accumulate
from pathlib import Path
from typing import IO, Iterator

from core.errors import DataError, ParseError
from kg.rdf_formats import (  # noqa: F401 - re-exported: kg.parse is the entry point
    EXTENSIONS,
    FORMATS,
    detect_format,
    format_names,
    locate_invalid_utf8,
    normalize_format,
    open_binary,
    rdf_format,
    sniff_format,
)
from kg.xml_literal import XML_LITERAL, canonical_xml
from kg.xml_safety import check_entities

_BOM = b"\xef\xbb\xbf"
_POSITION = re.compile(r"^Parser error (?:at|between) line \d+.*?: ", re.S)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (as stored, compressed or not).

    Raises:
        DataError: the file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def file_scope(path: Path) -> str:
    """A short id for blank-node scoping: the first 16 hex digits of the file's SHA-256."""
    return file_sha256(path)[:16]


def _xml_error_position(path: Path) -> tuple[int | None, int | None]:
    """Line and column of an XML well-formedness error (RDF/XML errors carry none)."""
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate()
    try:
        with open_binary(path) as fh:
            parser.ParseFile(fh)
    except xml.parsers.expat.ExpatError as exc:
        return exc.lineno, exc.offset + 1
    return None, None


#: RDF/XML files up to this size (decompressed) get a line number for errors pyoxigraph reports without one.
LOCATE_RDFXML_BYTES = 16 << 20


def _rdfxml_error_line(path: Path, message: str, base_iri: str) -> int | None:
    """The line of an RDF/XML error pyoxigraph reports without a position (e.g. a misused ``rdf:li``).

    The parser stops at the first error, so the first ``n`` lines of the file
    fail with the same message exactly when the error lies within them: a
    binary search over ``n`` finds the line (a few partial parses, on the error path only).
    """
    import pyoxigraph as ox

    with open_binary(path) as fh:
        data = fh.read(LOCATE_RDFXML_BYTES + 1)
    if len(data) > LOCATE_RDFXML_BYTES:
        return None
    ends = list(accumulate(len(line) + 1 for line in data.split(b"\n")))  # where each line ends
    ends[-1] = len(data)

    def fails_within(lines: int) -> bool:
        try:
            for _ in ox.parse(data[: ends[lines - 1]], ox.RdfFormat.RDF_XML, base_iri=base_iri):
                pass
        except SyntaxError as exc:
            return str(exc.msg if exc.msg else exc) == message
        return False

    low, high = 1, len(ends)
    if not fails_within(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if fails_within(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _parse_error(path: Path, fmt: str, exc: SyntaxError, base_iri: str) -> ParseError:
    """Turn a pyoxigraph ``SyntaxError`` into a ParseError with 1-based line:column."""
    message = str(exc.msg if exc.msg else exc)
    reason = _POSITION.sub("", message)
    line, column = exc.lineno, exc.offset
    hint = None
    if "utf-8" in message.lower() or "utf8" in message.lower():
        where = locate_invalid_utf8(path)
        if where is not None:
            line, column, offset = where
            reason = f"invalid UTF-8 (byte offset {offset})"
        else:
            reason = f"invalid UTF-8: {reason}"
        hint = "kgft reads RDF as UTF-8; re-encode the file, e.g. iconv -f latin1 -t utf-8"
    elif line is None and fmt == "rdfxml":
        line, column = _xml_error_position(path)
        if line is None:
            line = _rdfxml_error_line(path, message, base_iri)
    return ParseError(path, f"{reason} ({fmt})", line=line, column=column, hint=hint)


def iter_quads(
    path: Path | str,
    format: str | None = None,
    *,
    base_iri: str | None = None,
    scope: str | None = None,
) -> Iterator:
    """Stream a file's statements as ``pyoxigraph.Quad`` objects in the default graph.

    Blank nodes are renamed to file-scoped ids (see the module docstring) and
    named graphs are merged into the default graph. The file is read lazily;
    errors surface while iterating.

    Args:
        path (Path or str): The RDF file (optionally ``.gz``).
        format (str, optional): Format name; detected when ``None``. (default: ``None``)
        base_iri (str, optional): Base for relative IRIs; the file's ``file://``
            URI when ``None`` (as rdflib does). (default: ``None``)
        scope (str, optional): Blank-node scope id; the file's content hash when
            ``None``. (default: ``None``)

    Yields:
        pyoxigraph.Quad: One statement, graph name ``DefaultGraph``.

    Raises:
        ParseError: a syntax error (file, 1-based line, column, reason), invalid
            UTF-8, or an unknown format.
        DataError: the file cannot be read.
    """
    import pyoxigraph as ox

    path = Path(path)
    fmt = detect_format(path, format)
    if fmt == "obo":  # not RDF: mapped to its OWL release's triples
        from kg.obo import iter_obo_quads

        yield from iter_obo_quads(path, scope or file_scope(path))
        return
    if base_iri is None:
        base_iri = path.resolve().as_uri()
    blank = ox.BlankNode
    default = ox.DefaultGraph()
    quad_type = ox.Quad
    renamed: dict[str, object] = {}

    def rename(node):
        nonlocal scope
        new = renamed.get(node.value)
        if new is None:
            if scope is None:
                scope = file_scope(path)
            new = blank(f"k{scope}b{len(renamed)}")
            renamed[node.value] = new
        return new

    keeps_graphs = fmt in ("nquads", "trig", "jsonld")
    xml_content = ox.NamedNode(XML_LITERAL) if fmt == "rdfxml" else None  # parseType="Literal", canonicalized
    literal = ox.Literal
    with _reading(path, fmt, base_iri=base_iri) as fh:
        for quad in ox.parse(fh, rdf_format(fmt), base_iri=base_iri):
            s, o = quad.subject, quad.object
            if xml_content is not None and type(o) is literal and o.datatype == xml_content:
                o = literal(canonical_xml(o.value), datatype=xml_content)
                quad = quad_type(s, quad.predicate, o, default)
            s_blank, o_blank = type(s) is blank, type(o) is blank
            if s_blank or o_blank:
                yield quad_type(
                    rename(s) if s_blank else s,
                    quad.predicate,
                    rename(o) if o_blank else o,
                    default,
                )
            elif keeps_graphs and not isinstance(quad.graph_name, ox.DefaultGraph):
                yield quad_type(s, quad.predicate, o, default)
            else:
                yield quad


class _ProgressReader:
    """A binary reader that advances a byte-counting progress bar (for Rust-side parsing)."""

    def __init__(self, raw: IO[bytes], bar) -> None:
        self._raw, self._bar = raw, bar

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._bar.update(len(data))
        return data


@contextmanager
def _reading(path: Path, fmt: str, desc: str | None = None, base_iri: str | None = None) -> Iterator[IO[bytes]]:
    """Open ``path`` (BOM skipped, ``.gz`` decompressed) and map parser errors to kgft errors.

    With ``desc``, reads advance a progress bar counting (decompressed) bytes.
    RDF/XML is first checked for unsafe entity declarations (:mod:`kg.xml_safety`);
    ``base_iri`` (the parse's base) helps locate RDF/XML errors that come without a line.
    """
    from core.progress import progress

    if fmt == "rdfxml":
        check_entities(path)
    with open_binary(path) as fh:
        try:
            if fh.read(3) != _BOM:
                fh.seek(0)
            if desc is None:
                yield fh
            else:
                total = None if path.suffix.lower() == ".gz" else path.stat().st_size
                with progress(total=total, desc=desc, unit="B", unit_scale=True) as bar:
                    yield _ProgressReader(fh, bar)
        except SyntaxError as exc:
            raise _parse_error(path, fmt, exc, base_iri or path.resolve().as_uri()) from None
        except OSError as exc:
            raise DataError(f"cannot read {path}: {exc}") from exc


def contains_any(path: Path | str, needles: tuple[bytes, ...]) -> bool:
    """Whether the (decompressed) bytes of a file contain any of ``needles`` (one byte scan).

    Raises:
        DataError: the file cannot be read.
    """
    overlap = max(len(n) for n in needles) - 1
    tail = b""
    with open_binary(Path(path)) as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            seam = tail + chunk[:overlap]  # a needle split across two reads
            if any(n in seam or n in chunk for n in needles):
                return True
            tail = chunk[-overlap:] if overlap else b""
    return False


def has_blank_node_labels(path: Path | str) -> bool:
    """Whether the (decompressed) bytes of a file contain ``_:`` anywhere (a byte scan).

    For N-Triples this tells whether there can be blank nodes to rename; a
    ``_:`` inside a literal gives a harmless "yes".
    """
    return contains_any(path, (b"_:",))


def iter_lines(path: Path | str) -> Iterator[bytes]:
    """Yield a line-based file's (N-Triples) lines as bytes, BOM dropped, ``.gz`` decompressed.

    Raises:
        DataError: the file cannot be read.
    """
    with _reading(Path(path), "nt") as fh:
        yield from fh


def iter_line_chunks(path: Path | str, size: int = 32 << 20) -> Iterator[bytes]:
    """Yield a line-based file (N-Triples) as chunks of about ``size`` bytes cut at newlines.

    The UTF-8 byte-order mark is dropped and ``.gz`` files are decompressed.

    Raises:
        DataError: the file cannot be read.
    """
    path = Path(path)
    rest = b""
    with _reading(path, "nt") as fh:
        for data in iter(lambda: fh.read(size), b""):
            data = rest + data
            cut = data.rfind(b"\n") + 1
            if cut:
                yield data[:cut]
            rest = data[cut:]
    if rest:
        yield rest


def iter_triples(path: Path | str, format: str | None = None, **kwargs) -> Iterator:
    """Stream a file's triples as ``pyoxigraph.Triple`` objects.

    Same as :func:`iter_quads` (same arguments, blank-node scoping and errors)
    but yields triples.
    """
    for quad in iter_quads(path, format, **kwargs):
        yield quad.triple


def validate(
    path: Path | str, format: str | None = None, *, base_iri: str | None = None, desc: str | None = None, **_ignored
) -> tuple[str, int]:
    """Parse a whole file without keeping anything (fast: no blank-node renaming).

    ``desc`` labels a progress bar over the bytes read (default: none).

    Returns:
        tuple: ``(format, statements_read)``.

    Raises:
        ParseError: as :func:`iter_quads`.
    """
    import pyoxigraph as ox

    path = Path(path)
    fmt = detect_format(path, format)
    if fmt == "obo":
        from kg.obo import iter_obo_quads

        return fmt, sum(1 for _ in iter_obo_quads(path, "v"))
    count = 0
    with _reading(path, fmt, desc, base_iri) as fh:
        for _ in ox.parse(fh, rdf_format(fmt), base_iri=base_iri or path.resolve().as_uri()):
            count += 1
    return fmt, count
