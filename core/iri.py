"""IRI helpers shared by the graph layer, the model and the explanations."""

from __future__ import annotations


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#``, ``/`` or ``:``."""
    for sep in ("#", "/", ":"):
        if sep in iri.rstrip(sep):
            return iri.rstrip(sep).rsplit(sep, 1)[1]
    return iri
