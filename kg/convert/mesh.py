"""MeSH tree file → SKOS: one concept per descriptor, ``skos:broader`` from tree positions.

Input: NLM's ``MeshTree`` file, ``Tree Number<TAB>Desc Ui<TAB>Term`` with a
header line (UTF-8, optionally with a byte-order mark). A descriptor with
several tree positions gets several ``kgft:treeNumber`` literals and one
``skos:broader`` link per distinct parent. Top-level positions (``C04``) point
to their category concept (``C`` "Diseases"), so explanations can walk from
any descriptor up to e.g. "C04 Neoplasms" and "C Diseases".
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Iterator

from kg.convert.namespaces import DCTERMS, KGFT, MESH, MESH_CATEGORY, PREFIXES, RDF, RDFS, SKOS
from kg.convert.writer import ConvertResult, convert
from core.errors import DataError, ParseError

log = logging.getLogger(__name__)

#: MeSH's 16 top-level categories (letters of the tree numbers).
CATEGORIES: dict[str, str] = {
    "A": "Anatomy",
    "B": "Organisms",
    "C": "Diseases",
    "D": "Chemicals and Drugs",
    "E": "Analytical, Diagnostic and Therapeutic Techniques, and Equipment",
    "F": "Psychiatry and Psychology",
    "G": "Phenomena and Processes",
    "H": "Disciplines and Occupations",
    "I": "Anthropology, Education, Sociology, and Social Phenomena",
    "J": "Technology, Industry, and Agriculture",
    "K": "Humanities",
    "L": "Information Science",
    "M": "Named Groups",
    "N": "Health Care",
    "V": "Publication Characteristics",
    "Z": "Geographicals",
}
SCHEME = "https://w3id.org/kgft/mesh/2017"
_TREE = re.compile(r"^[A-Z]\d{2}(?:\.\d{3})*$")
_UI = re.compile(r"^D\d{6,9}$")


def read_mesh_tree(path: Path) -> tuple[dict[str, list[str]], dict[str, str], dict[str, str]]:
    """Read a MeSH tree file.

    Returns:
        tuple: ``(positions, terms, descriptor_at)``: tree numbers per descriptor UI
        (file order), the term of each UI, and the UI at each tree number.

    Raises:
        ParseError: a malformed line (file:line and what is wrong).
        DataError: the file cannot be read.
    """
    positions: dict[str, list[str]] = {}
    terms: dict[str, str] = {}
    descriptor_at: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for lineno, raw in enumerate(fh, start=1):
                line = raw.rstrip("\r\n")
                if not line.strip():
                    continue
                fields = line.split("\t")
                if lineno == 1 and fields[0].strip().lower() == "tree number":
                    continue
                if len(fields) != 3:
                    raise ParseError(path, f"expected 3 tab-separated fields (Tree Number, Desc Ui, Term), got {len(fields)}", line=lineno)
                tree, ui, term = (f.strip() for f in fields)
                if not _TREE.match(tree):
                    raise ParseError(path, f"bad tree number {tree!r}", line=lineno)
                if not _UI.match(ui):
                    raise ParseError(path, f"bad descriptor UI {ui!r}", line=lineno)
                if tree in descriptor_at and descriptor_at[tree] != ui:
                    raise ParseError(path, f"tree number {tree} given to {descriptor_at[tree]} and {ui}", line=lineno)
                descriptor_at[tree] = ui
                positions.setdefault(ui, []).append(tree)
                terms.setdefault(ui, term)
    except UnicodeDecodeError as exc:
        raise ParseError(path, f"invalid UTF-8 at byte {exc.start}", hint="MeSH tree files are UTF-8") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not positions:
        raise DataError(f"{path} holds no MeSH tree positions", hint="expected lines `Tree Number<TAB>Desc Ui<TAB>Term`")
    return positions, terms, descriptor_at


def mesh_triples(path: Path, counter: dict) -> Iterator:
    """Stream the SKOS triples for a MeSH tree file (see module docstring)."""
    import pyoxigraph as ox

    positions, terms, descriptor_at = read_mesh_tree(path)
    iri, text = ox.NamedNode, ox.Literal
    a, concept = iri(RDF + "type"), iri(SKOS + "Concept")
    pref, notation, ident = iri(SKOS + "prefLabel"), iri(SKOS + "notation"), iri(DCTERMS + "identifier")
    broader, in_scheme, tree_number = iri(SKOS + "broader"), iri(SKOS + "inScheme"), iri(KGFT + "treeNumber")
    scheme = iri(SCHEME)
    yield ox.Triple(scheme, a, iri(SKOS + "ConceptScheme"))
    yield ox.Triple(scheme, iri(RDFS + "label"), text("MeSH 2017 tree"))
    yield ox.Triple(tree_number, a, iri("http://www.w3.org/2002/07/owl#DatatypeProperty"))
    yield ox.Triple(tree_number, iri(RDFS + "label"), text("MeSH tree number"))
    used = sorted({t[0] for trees in positions.values() for t in trees})
    for letter in used:
        cat = iri(MESH_CATEGORY + letter)
        yield ox.Triple(cat, a, concept)
        yield ox.Triple(cat, pref, text(CATEGORIES.get(letter, f"Category {letter}")))
        yield ox.Triple(cat, notation, text(letter))
        yield ox.Triple(cat, in_scheme, scheme)
        yield ox.Triple(cat, iri(SKOS + "topConceptOf"), scheme)
        yield ox.Triple(scheme, iri(SKOS + "hasTopConcept"), cat)
    counter["categories"] = len(used)
    missing = 0
    for ui, trees in positions.items():
        node = iri(MESH + ui)
        yield ox.Triple(node, a, concept)
        yield ox.Triple(node, pref, text(terms[ui]))
        yield ox.Triple(node, notation, text(ui))
        yield ox.Triple(node, ident, text(ui))
        yield ox.Triple(node, in_scheme, scheme)
        parents: list[str] = []
        for tree in trees:
            yield ox.Triple(node, tree_number, text(tree))
            if "." in tree:
                parent_ui = descriptor_at.get(tree.rsplit(".", 1)[0])
                if parent_ui is None:
                    missing += 1
                    log.warning("%s: no descriptor at the parent of tree number %s", path, tree)
                    continue
                parent = MESH + parent_ui
            else:
                parent = MESH_CATEGORY + tree[0]
            if parent not in parents:
                parents.append(parent)
                yield ox.Triple(node, broader, iri(parent))
        counter["concepts"] = counter.get("concepts", 0) + 1
    counter["missing_parents"] = missing


def convert_mesh_tree(src: Path, output: Path) -> ConvertResult:
    """Convert a MeSH tree file to SKOS Turtle.

    Args:
        src (Path): The ``MeshTree`` file (e.g. ``2017MeshTree.txt``).
        output (Path): The Turtle file to write (atomically).

    Returns:
        ConvertResult: ``concepts`` counts descriptors (the category concepts are extra).

    Raises:
        ParseError: a malformed line. DataError: unreadable input or unwritable output.
    """
    src = Path(src)
    if src.is_dir():
        raise DataError(f"{src} is a directory", hint="pass the MeSH tree file, e.g. 2017MeshTree.txt")
    counter: dict = {}
    prefixes = dict(PREFIXES, mesh=MESH, meshcat=MESH_CATEGORY)
    return convert(mesh_triples(src, counter), output, prefixes, counter)
