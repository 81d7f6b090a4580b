"""Normalization shared by label keys and text: the "pieces" the linker matches.

A text becomes a sequence of pieces: runs of letters and digits, lower-cased
with accents removed (``"Ménière's"`` → ``meniere``: a possessive ``'s`` is
dropped), and single punctuation marks, which act as barriers a label can only
cross if it contains the same mark. Hyphens, apostrophes, slashes and
underscores are soft: they separate pieces but are not pieces themselves, so
``non-Hodgkin`` and ``non Hodgkin`` normalize alike.

MeSH-style inverted labels ("Neoplasms, Glandular and Epithelial") get a
natural-order variant ("Glandular and Epithelial Neoplasms"): the
comma-separated parts in reverse order.

With ``fold=True`` every piece is also reduced to a singular-like form
(:func:`fold_plural`: ``neoplasms`` → ``neoplasm``, ``therapies`` → ``therapy``),
on labels and text alike, so a label and its plural match each other.

Acronyms match case-sensitively: a label written in capitals with short pieces
(:func:`is_acronym`: ``ALL``, ``AIDS``, ``HIV-1``) gets keys whose letter pieces
carry :data:`ACRONYM_MARK` (``^all``) and are never plural-folded, and only a
text token in capitals produces marked pieces (:func:`marked_piece`), so the
synonym ``ALL`` of acute lymphoblastic leukemia no longer links the word "all".
"""

from __future__ import annotations

import re
import unicodedata

SOFT = "-'\u2019/_\u2010\u2011\u2012\u2013\u2014"
# letters/digits (with an optional possessive 's), or one mark that is not soft
_PIECE_RE = re.compile(r"[^\W_]+(?:['\u2019][sS](?![^\W_]))?|[^\w\s" + re.escape(SOFT) + "]")
_POSSESSIVE = ("'s", "\u2019s", "'S", "\u2019S")


def norm_piece(piece: str) -> str:
    """Lower-case one piece, strip accents and a possessive ``'s``."""
    if piece.endswith(_POSSESSIVE) and len(piece) > 2:
        piece = piece[:-2]
    if piece.isascii():
        return piece.lower()
    decomposed = unicodedata.normalize("NFKD", piece)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


#: Prefix of an acronym's pieces in linker keys (never produced by normalization: ``^`` is not soft).
ACRONYM_MARK = "^"
#: Longest piece of a label that still counts as an acronym.
_ACRONYM_PIECE = 6

_KEEP_S = ("ss", "us", "is", "os", "as")
_ES = ("ches", "shes", "xes", "zes", "sses", "uses")


def fold_plural(piece: str) -> str:
    """A singular-like form of one lower-cased piece (the same rule for labels and text).

    ``-ies`` → ``-y``, ``-ches``/``-shes``/``-xes``/``-zes``/``-sses``/``-uses`` lose ``es``, any
    other final ``s`` is dropped unless the piece ends in ``ss``, ``us``, ``is``, ``os``
    or ``as``; pieces of 3 characters or fewer, and digits, are kept.
    """
    if len(piece) <= 3 or not piece.isalpha():
        return piece
    if piece.endswith("ies") and len(piece) > 4:
        return piece[:-3] + "y"
    if piece.endswith(_ES):
        return piece[:-2]
    if piece.endswith("s") and not piece.endswith(_KEEP_S):
        return piece[:-1]
    return piece


def piece_form(raw: str, piece: str, fold: bool, acronyms: frozenset[str]) -> str:
    """How one text piece is matched: ``piece`` (:func:`norm_piece` of ``raw``) marked when ``raw``
    is written in capitals and a known acronym piece, else plural-folded when ``fold``."""
    if acronyms and raw.isupper() and (marked := ACRONYM_MARK + piece) in acronyms:
        return marked
    return fold_plural(piece) if fold else piece


def raw_pieces(text: str) -> list[re.Match]:
    """Where ``text``'s pieces are, before normalization: each match's text is one piece
    (:func:`norm_piece`, then :func:`piece_form`; a match that normalizes to nothing is no piece)."""
    return list(_PIECE_RE.finditer(text))


def cased_token_pieces(token: str, fold: bool, acronyms: frozenset[str]) -> tuple[str, ...]:
    """:func:`pieces` of a token in capitals, its known acronym pieces marked."""
    return tuple(piece_form(raw, piece, fold, acronyms) for raw in _PIECE_RE.findall(token) if (piece := norm_piece(raw)))


def pieces(text: str, fold: bool = False) -> list[str]:
    """Normalized pieces of ``text`` (see the module docstring)."""
    out = [q for p in _PIECE_RE.findall(text) if (q := norm_piece(p))]
    return [fold_plural(p) for p in out] if fold else out


def phrase_key(phrase: str, fold: bool = False) -> str:
    """A phrase as the linker compares it: its :func:`pieces` joined by spaces."""
    return " ".join(pieces(phrase, fold))


def is_acronym(label: str) -> bool:
    """Whether ``label`` is an acronym: letters, all capitals, no piece longer than 6 characters."""
    return label.isupper() and all(len(p) <= _ACRONYM_PIECE for p in _PIECE_RE.findall(label))


def marked_piece(piece: str) -> str:
    """An acronym's normalized piece as keys hold it (letters marked, digits and marks as they are)."""
    return ACRONYM_MARK + piece if any(c.isalpha() for c in piece) else piece


def label_variants(label: str, invert_commas: bool = True, fold: bool = False) -> list[list[str]]:
    """Piece sequences a label should match: itself and its natural-order form.

    Args:
        label (str): A label or synonym, e.g. ``"Neoplasms, Glandular"``.
        invert_commas (bool): Add the reversed comma form (``"Glandular
            Neoplasms"``). (default: ``True``)
        fold (bool): Fold plurals (:func:`fold_plural`). (default: ``False``)

    Returns:
        list[list[str]]: Distinct non-empty piece sequences.
    """
    acronym = is_acronym(label)
    variants = [pieces(label, fold and not acronym)]
    if invert_commas and "," in label:
        parts = [p.strip() for p in label.split(",")]
        if all(parts):
            variants.append(pieces(" ".join(reversed(parts)), fold and not acronym))
    if acronym:
        variants = [[marked_piece(p) for p in v] for v in variants]
    out: list[list[str]] = []
    for v in variants:
        if v and v not in out:
            out.append(v)
    return out


def label_keys(label: str, invert_commas: bool = True, min_chars: int = 2, fold: bool = False) -> list[str]:
    """The keys a label is matched by: each variant's pieces joined by spaces.

    Args:
        label (str): A label or synonym.
        invert_commas (bool): Include the natural-order form (see :func:`label_variants`). (default: ``True``)
        min_chars (int): Drop keys shorter than this (single letters link noise). (default: ``2``)
        fold (bool): Fold plurals (:func:`fold_plural`). (default: ``False``)

    Returns:
        list[str]: Distinct keys, e.g. ``["neoplasms glandular", "glandular neoplasms"]``.
    """
    keys = (" ".join(seq) for seq in label_variants(label, invert_commas, fold))
    return [key for key in keys if len(key) - key.count(ACRONYM_MARK) >= min_chars]
