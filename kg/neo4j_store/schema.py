"""Cypher building blocks: the n10s schema and validation of IRI-named tokens.

Every value reaches Cypher as a ``$parameter``, including the IRIs that become
node labels (``rdf:type`` classes) and property keys (literal properties):
the node writes use Cypher's dynamic labels and keys (see
:mod:`kg.neo4j_store.write`). The one exception is the relationship type of
the per-predicate ``MERGE``/``CREATE`` statements, which must be static to get a
degree-aware plan: it is spliced only through :func:`quote_token`, after
:func:`check_iri` validation and backtick escaping. All those IRIs are
validated here, so that only well-formed absolute IRIs (and BCP 47 language
tags) become graph tokens.
"""

from __future__ import annotations

import re

from core.errors import StoreError

#: The n10s node label of every RDF resource.
RESOURCE = "Resource"
#: Label of the per-file import checkpoints.
IMPORT_LABEL = "_KgftImport"
#: Label of the literal property-key registry.
KEY_LABEL = "_KgftKey"
#: Label of the node every kgft write transaction locks first.
LOCK_LABEL = "_KgftLock"
#: Label of expert annotations with their provenance (:mod:`kg.annotations.neo4j`).
ANNOTATION_LABEL = "_KgftAnnotation"

#: Schema statements run (idempotently) when a store opens.
SCHEMA = (
    # Same name and shape as neosemantics' own constraint.
    f"CREATE CONSTRAINT n10s_unique_uri IF NOT EXISTS FOR (r:{RESOURCE}) REQUIRE r.uri IS UNIQUE",
    f"CREATE CONSTRAINT kgft_import_sha256 IF NOT EXISTS FOR (r:{IMPORT_LABEL}) REQUIRE r.sha256 IS UNIQUE",
    f"CREATE CONSTRAINT kgft_key_key IF NOT EXISTS FOR (k:{KEY_LABEL}) REQUIRE k.key IS UNIQUE",
    f"CREATE CONSTRAINT kgft_lock_name IF NOT EXISTS FOR (l:{LOCK_LABEL}) REQUIRE l.name IS UNIQUE",
    f"CREATE CONSTRAINT kgft_annotation_id IF NOT EXISTS FOR (a:{ANNOTATION_LABEL}) REQUIRE a.id IS UNIQUE",
)

# Characters RFC 3987 never allows in an IRI, plus controls and whitespace.
# "^" is among them, which keeps "P^^D" property keys unambiguous.
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f-\x9f]')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_LANG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
#: What an IRI that becomes a graph token may not contain (the hint of every such error).
IRI_HINT = "IRIs must have a scheme and no spaces, quotes, braces, backslashes, '^' or '`'"


def check_iri(iri: str, role: str = "IRI") -> str:
    """Validate an absolute IRI that will become a label, type or property key.

    Args:
        iri (str): The IRI.
        role (str): What it is used as, for the error message. (default: ``"IRI"``)

    Returns:
        str: ``iri`` unchanged.

    Raises:
        StoreError: ``iri`` is empty, relative, or contains a character IRIs forbid.
    """
    if not isinstance(iri, str) or not _SCHEME.match(iri) or _NOT_IN_IRI.search(iri):
        raise StoreError(
            f"cannot store {role} {iri!r} in Neo4j: not an absolute IRI",
            hint=IRI_HINT,
        )
    return iri


def quote_token(iri: str, role: str = "IRI") -> str:
    """A validated IRI as a backtick-quoted Cypher token (label or relationship type).

    Only for the few statement texts that must name a token statically (a
    relationship type in ``MERGE``, see :mod:`kg.neo4j_store.write`): the IRI
    is first validated by :func:`check_iri`, which refuses backticks, quotes,
    braces, backslashes, whitespace and control characters, and any backtick
    is then doubled anyway (Cypher's escape), so the token can never end early.

    Raises:
        StoreError: ``iri`` is not a well-formed absolute IRI.
    """
    return "`" + check_iri(iri, role).replace("`", "``") + "`"


def check_lang(tag: str) -> str:
    """Validate a BCP 47 language tag (``en``, ``pt-BR``).

    Raises:
        StoreError: ``tag`` is not a language tag.
    """
    if not _LANG.match(tag or ""):
        raise StoreError(f"cannot store language tag {tag!r} in Neo4j: not a BCP 47 tag")
    return tag


def bounded_hops(max_hops: int) -> int:
    """Validate a path length bound (Cypher cannot take it as a parameter).

    Raises:
        StoreError: ``max_hops`` is not an integer between 1 and 32.
    """
    if isinstance(max_hops, bool) or not isinstance(max_hops, int) or not 1 <= max_hops <= 32:
        raise StoreError(f"max_hops must be an integer between 1 and 32, not {max_hops!r}")
    return max_hops
