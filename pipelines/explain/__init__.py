"""The ``explain`` workflow: attributions, linked entities, graph evidence, counterfactuals."""

from pipelines.explain.render_html import render_html
from pipelines.explain.render_text import render_text
from pipelines.explain.result import SCHEMA, EntityExplanation, ExplainResult, TextExplanation
from pipelines.explain.run import NO_KNOWLEDGE_NOTE, explain, load_run
from pipelines.explain.text import NO_ENTITY_NOTE, encode_text, explain_text

__all__ = [
    "NO_ENTITY_NOTE",
    "NO_KNOWLEDGE_NOTE",
    "SCHEMA",
    "EntityExplanation",
    "ExplainResult",
    "TextExplanation",
    "encode_text",
    "explain",
    "explain_text",
    "load_run",
    "render_html",
    "render_text",
]
