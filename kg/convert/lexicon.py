"""Hu & Liu opinion lexicon → SKOS: each word a concept under a Positive or Negative concept.

Input: ``positive-words.txt`` / ``negative-words.txt`` (Latin-1, CRLF, a
header of ``;`` comment lines, one word per line). ``SRC`` may be the directory
holding both files or one of them (its polarity comes from its name). A word in
both lists gets both parents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from kg.convert.namespaces import KGFT, LEXICON, PREFIXES, RDF, RDFS, SKOS, iri_segment
from kg.convert.writer import ConvertResult, convert
from core.errors import DataError

FILES = {"positive": "positive-words.txt", "negative": "negative-words.txt"}
SCHEME = LEXICON + "scheme"


def lexicon_files(src: Path) -> list[tuple[str, Path]]:
    """``[(polarity, file)]`` for a lexicon directory or a single lexicon file.

    Raises:
        DataError: missing files, or a file whose name says no polarity.
    """
    src = Path(src)
    if src.is_dir():
        found = [(pol, src / name) for pol, name in FILES.items() if (src / name).is_file()]
        if not found:
            raise DataError(
                f"no opinion-lexicon files in {src}", hint=f"expected {FILES['positive']} and/or {FILES['negative']}"
            )
        return found
    name = src.name.lower()
    for pol in FILES:
        if pol in name:
            return [(pol, src)]
    raise DataError(
        f"cannot tell the polarity of {src}", hint="name it positive-words.txt or negative-words.txt, or pass the directory"
    )


def read_words(path: Path) -> list[str]:
    """The words of one lexicon file (comments and blank lines skipped, order kept)."""
    try:
        with open(path, encoding="latin-1", newline="") as fh:
            words = []
            for raw in fh:
                word = raw.strip()
                if word and not word.startswith(";"):
                    words.append(word)
            return words
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc


def lexicon_triples(src: Path, counter: dict) -> Iterator:
    """Stream the SKOS triples for the lexicon at ``src``."""
    import pyoxigraph as ox

    iri, text = ox.NamedNode, ox.Literal
    a, concept = iri(RDF + "type"), iri(SKOS + "Concept")
    pref, broader, in_scheme = iri(SKOS + "prefLabel"), iri(SKOS + "broader"), iri(SKOS + "inScheme")
    polarity_prop = iri(KGFT + "polarity")
    scheme = iri(SCHEME)
    files = lexicon_files(src)
    yield ox.Triple(scheme, a, iri(SKOS + "ConceptScheme"))
    yield ox.Triple(scheme, iri(RDFS + "label"), text("Hu & Liu opinion lexicon"))
    yield ox.Triple(polarity_prop, a, iri("http://www.w3.org/2002/07/owl#ObjectProperty"))
    yield ox.Triple(polarity_prop, iri(RDFS + "subPropertyOf"), broader)
    yield ox.Triple(polarity_prop, iri(RDFS + "label"), text("polarity"))
    seen: set[str] = set()
    for polarity, path in files:
        pol = iri(LEXICON + polarity.capitalize())
        yield ox.Triple(pol, a, concept)
        yield ox.Triple(pol, pref, text(polarity))
        yield ox.Triple(pol, in_scheme, scheme)
        yield ox.Triple(pol, iri(SKOS + "topConceptOf"), scheme)
        for word in read_words(path):
            node = iri(LEXICON + "word/" + iri_segment(word))
            if word not in seen:
                seen.add(word)
                yield ox.Triple(node, a, concept)
                yield ox.Triple(node, pref, text(word))
                yield ox.Triple(node, in_scheme, scheme)
            yield ox.Triple(node, broader, pol)
            yield ox.Triple(node, polarity_prop, pol)
    counter["concepts"] = len(seen)


def convert_opinion_lexicon(src: Path, output: Path) -> ConvertResult:
    """Convert the opinion lexicon (directory or one file) to SKOS Turtle.

    Each word: ``skos:Concept`` with ``skos:prefLabel``, and both
    ``skos:broader`` and ``kgft:polarity`` (a sub-property of ``skos:broader``)
    pointing to ``.../Positive`` or ``.../Negative``.

    Returns:
        ConvertResult: ``concepts`` counts distinct words.
    """
    counter: dict = {}
    return convert(lexicon_triples(Path(src), counter), output, dict(PREFIXES, lex=LEXICON), counter)
