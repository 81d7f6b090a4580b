"""Head/relation/tail TSV knowledge graphs (WN18RR, UMLS, ...) → RDF.

Entities become ``skos:Concept`` with a ``skos:prefLabel`` derived from their
name (``land_reform.n.01`` → "land reform"); relations become
``owl:ObjectProperty`` with an ``rdfs:label`` (``_hypernym`` → "hypernym").
``SRC`` is a file, or a directory whose ``train.txt``, ``valid.txt`` and
``test.txt`` are all converted into one graph.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from kg.convert.namespaces import KG, OWL, PREFIXES, RDF, RDFS, SKOS, iri_segment
from kg.convert.writer import ConvertResult, convert
from core.errors import DataError, ParseError

SPLITS = ("train.txt", "valid.txt", "test.txt")
_SYNSET = re.compile(r"^(?P<lemma>.+)\.(?P<pos>[nvasr])\.(?P<sense>\d+)$")


def entity_label(name: str) -> str:
    """A readable label: WordNet synset names lose POS and sense, ``_`` becomes a space."""
    match = _SYNSET.match(name)
    lemma = match.group("lemma") if match else name
    return " ".join(lemma.replace("_", " ").split()) or name


def relation_label(name: str) -> str:
    """``_derivationally_related_form`` → "derivationally related form"."""
    return " ".join(name.replace("_", " ").split()) or name


def tsv_files(src: Path) -> list[Path]:
    """The TSV files to convert (``train/valid/test.txt`` of a directory, or ``src``)."""
    src = Path(src)
    if src.is_dir():
        files = [src / name for name in SPLITS if (src / name).is_file()]
        if not files:
            raise DataError(f"no {', '.join(SPLITS)} in {src}", hint="pass a TSV file or a dataset directory")
        return files
    return [src]


def dataset_name(src: Path) -> str:
    """The dataset part of the namespace: the directory name, or the file's stem."""
    src = Path(src).resolve()
    return iri_segment((src.name if src.is_dir() else src.stem).lower())


def tsv_triples(src: Path, counter: dict, namespace: str) -> Iterator:
    """Stream the RDF triples for the TSV graph at ``src`` under ``namespace``."""
    import pyoxigraph as ox

    iri, text = ox.NamedNode, ox.Literal
    a, concept, pref = iri(RDF + "type"), iri(SKOS + "Concept"), iri(SKOS + "prefLabel")
    entities: dict[str, object] = {}
    relations: dict[str, object] = {}
    for path in tsv_files(src):
        try:
            fh = open(path, encoding="utf-8", newline="")
        except OSError as exc:
            raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
        with fh:
            lineno = 0
            try:
                for lineno, raw in enumerate(fh, start=1):
                    line = raw.rstrip("\r\n")
                    if not line.strip():
                        continue
                    fields = line.split("\t")
                    if len(fields) != 3 or not all(f.strip() for f in fields):
                        raise ParseError(path, f"expected head<TAB>relation<TAB>tail, got {len(fields)} field(s)", line=lineno)
                    head, rel, tail = (f.strip() for f in fields)
                    nodes = []
                    for name in (head, tail):
                        node = entities.get(name)
                        if node is None:
                            node = entities[name] = iri(namespace + "entity/" + iri_segment(name))
                            yield ox.Triple(node, a, concept)
                            yield ox.Triple(node, pref, text(entity_label(name)))
                        nodes.append(node)
                    prop = relations.get(rel)
                    if prop is None:
                        prop = relations[rel] = iri(namespace + "relation/" + iri_segment(rel.lstrip("_") or rel))
                        yield ox.Triple(prop, a, iri(OWL + "ObjectProperty"))
                        yield ox.Triple(prop, iri(RDFS + "label"), text(relation_label(rel)))
                    yield ox.Triple(nodes[0], prop, nodes[1])
            except UnicodeDecodeError as exc:
                raise ParseError(path, f"invalid UTF-8 ({exc.reason})", line=lineno + 1) from None
    counter["concepts"] = len(entities)
    counter["relations"] = len(relations)


def convert_triples_tsv(src: Path, output: Path, namespace: str | None = None) -> ConvertResult:
    """Convert a head/relation/tail TSV graph to Turtle.

    Args:
        src (Path): A TSV file or a directory with train/valid/test.txt.
        output (Path): The Turtle file to write (atomically).
        namespace (str, optional): Base IRI; default
            ``https://w3id.org/kgft/kg/<dataset>/``. (default: ``None``)

    Returns:
        ConvertResult: ``concepts`` counts entities.
    """
    src = Path(src)
    ns = namespace or f"{KG}{dataset_name(src)}/"
    counter: dict = {}
    prefixes = dict(PREFIXES, ent=ns + "entity/", rel=ns + "relation/")
    return convert(tsv_triples(src, counter, ns), output, prefixes, counter)
