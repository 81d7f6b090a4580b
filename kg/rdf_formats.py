"""RDF formats kgft reads: names, file extensions, content sniffing, detection; opening files
(gzip or not) and finding their first invalid UTF-8 byte."""

from __future__ import annotations

import codecs
import gzip
import re
from pathlib import Path
from typing import IO

from core.errors import ConfigError, DataError, ParseError

#: kgft format name -> pyoxigraph RdfFormat attribute name.
FORMATS: dict[str, str] = {
    "turtle": "TURTLE",
    "nt": "N_TRIPLES",
    "nquads": "N_QUADS",
    "trig": "TRIG",
    "rdfxml": "RDF_XML",
    "jsonld": "JSON_LD",
    "obo": "",  # OBO 1.4 flat files: read by kg.obo (not pyoxigraph), never written
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
    ".obo": "obo",
}

#: Extensions whose files are sometimes another syntax than RDF/XML (sniffed).
_AMBIGUOUS = (".owl", ".xml")

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


_PIECE = 1 << 16


class _GzipReader(gzip.GzipFile):
    """A ``.gz`` reader that counts the lines it returned and names a truncated stream.

    A gzip file cut short (an interrupted download or copy) makes
    :class:`gzip.GzipFile` raise ``EOFError``; here it becomes a
    :class:`~core.errors.DataError` ``FILE: truncated gzip stream (after line N)``.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path, "rb")
        self._path, self._lines = path, 0

    def _counted(self, data: bytes) -> bytes:
        self._lines += data.count(b"\n")
        return data

    def _guarded(self, read, *args) -> bytes:
        try:
            return self._counted(read(*args))
        except EOFError:
            raise DataError(f"{self._path}: truncated gzip stream (after line {self._lines})",
                            hint="the file was cut short; download or copy it again") from None
        except gzip.BadGzipFile as exc:
            raise DataError(f"{self._path}: corrupt gzip data ({exc})") from None

    def read(self, size: int = -1) -> bytes:
        # In pieces, so that a truncated stream is reported after the last whole piece's line.
        pieces = []
        while size < 0 or size > _PIECE:
            piece = self._guarded(super().read, _PIECE)
            pieces.append(piece)
            if len(piece) < _PIECE:
                return b"".join(pieces)
            size -= _PIECE if size > 0 else 0
        pieces.append(self._guarded(super().read, size))
        return b"".join(pieces)

    def read1(self, size: int = -1) -> bytes:
        return self._guarded(super().read1, size)

    def readline(self, size: int = -1) -> bytes:
        return self._guarded(super().readline, size)

    def seek(self, offset: int, whence: int = 0) -> int:
        if (offset, whence) == (0, 0):
            self._lines = 0
        return super().seek(offset, whence)


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for binary reading, decompressing ``.gz`` files.

    Reading a truncated or corrupt ``.gz`` file raises :class:`~core.errors.DataError`.

    Raises:
        DataError: the file does not exist or cannot be opened.
    """
    try:
        return _GzipReader(path) if _is_gzip(path) else open(path, "rb")
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
    if re.match(r"(format-version|data-version|ontology):|\[(Term|Typedef|Instance)\]", first):
        return "obo"
    if first.startswith(("{", "[")):
        return "jsonld"
    # XML: a declaration, processing instruction, comment, DOCTYPE or an element.
    if first.startswith(("<?", "<!")) or re.match(r"<[A-Za-z_][\w.-]*:?[\w.-]*[\s>/]", first):
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
    optionally followed by ``.gz``; the extension wins over the content, except
    that an ``.owl``/``.xml`` file (OWL comes in several syntaxes) whose content
    is clearly Turtle, TriG or N-Triples is read as such. Files with another
    extension are sniffed.

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
    if by_ext and ext not in _AMBIGUOUS:
        return by_ext
    sniffed = sniff_format(_read_head(path))
    if by_ext:
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

    if not FORMATS[fmt]:
        raise ConfigError(f"kgft reads {fmt} files but does not write them", hint="write one of: turtle, nt, rdfxml")
    return getattr(pyoxigraph.RdfFormat, FORMATS[fmt])


def locate_invalid_utf8(path: Path) -> tuple[int, int, int] | None:
    """Find the first invalid UTF-8 byte of a (decompressed) file.

    Returns:
        tuple or None: ``(line, column, byte_offset)`` (1-based line/column,
        0-based offset), or ``None`` when the file is valid UTF-8.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, line, line_start = 0, 1, 0
    with open_binary(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = offset + exc.start
                before = chunk[: exc.start]
                nl = before.count(b"\n")
                if nl:
                    line += nl
                    line_start = offset + before.rfind(b"\n") + 1
                return line, bad - line_start + 1, bad
            nl = chunk.count(b"\n")
            if nl:
                line += nl
                line_start = offset + chunk.rfind(b"\n") + 1
            offset += len(chunk)
    return None
