"""RDF formats kgft reads: names, file extensions, content sniffing, detection."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import IO

from kg.errors import ConfigError, DataError, ParseError

#: kgft format name -> pyoxigraph RdfFormat attribute name.
FORMATS: dict[str, str] = {
    "turtle": "TURTLE",
    "nt": "N_TRIPLES",
    "nquads": "N_QUADS",
    "trig": "TRIG",
    "rdfxml": "RDF_XML",
    "jsonld": "JSON_LD",
}

#: File extension (lower case, without ``.gz``) -> format.
EXTENSIONS: dict[str, str] = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".ntriples": "nt",
    ".nq": "nquads",
    ".nquads": "nquads",
    ".trig": "trig",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".xml": "rdfxml",
    ".jsonld": "jsonld",
    ".json": "jsonld",
}

# Other spellings users type for --format.
_ALIASES: dict[str, str] = {
    "ttl": "turtle",
    "n-triples": "nt",
    "ntriples": "nt",
    "n-quads": "nquads",
    "nq": "nquads",
    "xml": "rdfxml",
    "rdf/xml": "rdfxml",
    "rdf": "rdfxml",
    "owl": "rdfxml",
    "json-ld": "jsonld",
    "json": "jsonld",
}

_BOM = b"\xef\xbb\xbf"
_SNIFF_BYTES = 8192
_NT_LINE = re.compile(
    r"^(?:<[^>]*>|_:\S+)\s+<[^>]*>\s+"
    r"(?:<[^>]*>|_:\S+|\"(?:[^\"\\]|\\.)*\"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?)\s*(.*?)\s*\.\s*(?:#.*)?$"
)


def format_names() -> str:
    """The supported format names, comma separated (for messages)."""
    return ", ".join(FORMATS)


def normalize_format(name: str) -> str:
    """Map a user-given format name (``ttl``, ``xml``, ``json-ld`` ...) to a kgft format.

    Args:
        name (str): The name as typed.

    Returns:
        str: One of :data:`FORMATS`.

    Raises:
        ConfigError: the name is not a supported RDF format.
    """
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        raise ConfigError(
            f"unknown RDF format {name!r}", hint=f"use one of: {format_names()}"
        )
    return key


def _is_gzip(path: Path) -> bool:
    return path.suffix.lower() == ".gz"


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for binary reading, decompressing ``.gz`` files.

    Raises:
        DataError: the file does not exist or cannot be opened.
    """
    try:
        return gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _read_head(path: Path, size: int = _SNIFF_BYTES) -> bytes:
    with open_binary(path) as fh:
        try:
            head = fh.read(size)
        except (OSError, EOFError) as exc:
            raise DataError(f"cannot read {path}: {exc}") from exc
    return head[len(_BOM):] if head.startswith(_BOM) else head


def sniff_format(head: bytes) -> str | None:
    """Guess the format from the first bytes of a file.

    Args:
        head (bytes): The start of the (decompressed) file.

    Returns:
        str or None: A format name, ``"nt"`` for an empty file, or ``None`` if unknown.
    """
    text = head.decode("utf-8", errors="replace")
    lines = [ln.strip() for ln in text.splitlines()]
    body = [ln for ln in lines if ln and not ln.startswith("#")]
    if not body:
        return "nt"
    first = body[0]
    if first.startswith(("{", "[")):
        return "jsonld"
    if first.startswith("<?xml") or re.match(r"<[A-Za-z_][\w.-]*:?[\w.-]*[\s>/]", first):
        if "http://www.w3.org/1999/02/22-rdf-syntax-ns#" in text:
            return "rdfxml"
        return None  # XML, but not RDF/XML (e.g. OWL/XML)
    if re.match(r"(@prefix|@base|PREFIX|BASE)\b", first, re.I):
        return "trig" if re.search(r"^\s*(GRAPH\b|<[^>]*>\s*\{|\S+:\S*\s*\{|\{)", text, re.M) else "turtle"
    match = _NT_LINE.match(first)
    if match:
        return "nquads" if match.group(1) else "nt"
    if first.startswith(("<", "_:", "[")):
        return "turtle"
    return None


def detect_format(path: Path | str, format: str | None = None) -> str:
    """The RDF format of ``path``: from ``format``, the extension, or the content.

    Extensions: ``.ttl .nt .nq .trig .rdf .owl .xml .jsonld .json``, each
    optionally followed by ``.gz``. Files with another extension are sniffed.
    An ``.owl``/``.xml`` file whose content is clearly Turtle is read as Turtle.

    Args:
        path (Path or str): The file.
        format (str, optional): An explicit format (wins). (default: ``None``)

    Returns:
        str: One of :data:`FORMATS`.

    Raises:
        ConfigError: ``format`` is not a supported format.
        ParseError: the format cannot be told from the extension or the content.
        DataError: the file cannot be read.
    """
    path = Path(path)
    if format:
        return normalize_format(format)
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    ext = Path(name).suffix
    by_ext = EXTENSIONS.get(ext)
    if by_ext and by_ext != "rdfxml":
        return by_ext
    sniffed = sniff_format(_read_head(path))
    if by_ext == "rdfxml":
        # .owl/.xml files are sometimes Turtle, N-Triples or OWL/XML in disguise.
        return sniffed if sniffed in ("turtle", "nt", "trig") else by_ext
    if sniffed is None:
        raise ParseError(
            path,
            "cannot tell the RDF format from the extension or the content",
            hint=f"pass --format with one of: {format_names()}",
        )
    return sniffed


def rdf_format(fmt: str):
    """The ``pyoxigraph.RdfFormat`` for a kgft format name."""
    import pyoxigraph

    return getattr(pyoxigraph.RdfFormat, FORMATS[fmt])
