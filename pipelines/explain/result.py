"""What ``kgft explain`` produces, and its JSON form (schema ``kgft.explain/1``).

JSON schema (``--format json``; every float is a plain JSON number)::

    {
      "schema": "kgft.explain/1",
      "run_dir": str,                         # the trained run explained
      "classes": [str, ...],                  # class labels, in model order
      "knowledge": {
        "used": bool,                         # false for a --baseline run
        "store": "embedded" | "neo4j" | null, # where graph evidence came from
        "store_location": str | null,         # store directory or Neo4j URI
        "class_map": {"name", "source", "direction", "max_hops"} | null
      },
      "attribution": {
        "method": "integrated_gradients",
        "layer": "embedding",
        "output": "probability",              # softmax probability of the explained class
        "baseline": str,                      # e.g. "<unk> embedding"
        "n_steps": int,                       # Gauss-Legendre nodes
        "counterfactual_baseline": str
      },
      "notes": [str, ...],                    # run-level notes
      "explanations": [                       # one per input text, in input order
        {
          "text": str,
          "prediction": {"label": str, "index": int, "probability": float,
                         "probabilities": {label: float, ...}},
          "completeness": {"delta": float,    # sum(attributions, token and bag) - (p - p_baseline)
                           "sum": float, "probability": float, "baseline_probability": float},
          "tokens": [{"index": int, "text": str, "attribution": float,
                      "in_vocab": bool,        # false: read as <unk>, so its attribution is 0
                      "entity_token": bool,    # an inserted <ent:IRI> token
                      "entities": [iri, ...]}, ...],
          "top_tokens": [int, ...],           # indices of the top-K tokens by |attribution|
          "entities": [                        # linked entities, by decreasing share
            {"iri": str, "label": str,
             "mentions": [{"start": int, "end": int, "text": str,
                           "annotation": str (optional: "file:line" of the link row that added it)}],
             "token_indices": [int, ...],     # tokens carrying this entity's knowledge
             "attribution": float,            # signed sum over those tokens
             "share": float,                  # sum |attr| over them / sum |attr| over all tokens
             "channel_share": float,          # the part of share that went through the knowledge channel
             "is_class_concept": bool,        # the entity is itself a concept of the predicted class
             "paths": [{"source", "target", "length", "steps": [
                 {"subject", "predicate", "object", "relation", "direction": "forward"|"backward",
                  "from", "to", "from_label", "to_label",
                  "annotation": "file:line" | null}]}] | null,  # supporting; null: graph not searched;
                                              # annotation: the expert annotation that added this edge
             "opposing": [{"class": str, "source", "target", "length", "steps": [...]}] | null}  # to other classes
          ],
          "bag": [{"concept": iri, "negated": bool, "attribution": float}, ...],  # knowledge channel's bag,
                                              # by decreasing |attribution| (empty without a channel)
          "counterfactual": {"entity": iri, "label": str, "token_indices": [int, ...],
                             "probability": float,         # p(predicted class) after the reset
                             "change": float,              # probability - prediction.probability
                             "label_after": str,           # predicted label after the reset
                             "probabilities": {label: float}} | null,
          "notes": [str, ...]                 # e.g. "no entity was linked in this text"
        }
      ]
    }
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.fsutil import write_json_atomic

SCHEMA = "kgft.explain/1"


@dataclass
class EntityExplanation:
    """One linked entity of one text.

    Args:
        iri (str): The entity.
        label (str): Its display label.
        mentions (list[dict]): ``{"start", "end", "text"}`` word spans it was linked at.
        token_indices (list[int]): Tokens that carry its knowledge.
        attribution (float): Signed attribution summed over those tokens and its part of the
            bag of ancestors (each bag feature's attribution split evenly over the text's
            entities that reach it).
        share (float): Their share of the text's total absolute attribution.
        channel_share (float): The part of ``share`` that went through the knowledge
            channel (its concept vectors and its part of the bag). (default: ``0.0``)
        is_class_concept (bool): Whether it is itself a concept of the predicted class.
        paths (list[dict], optional): Graph paths to the predicted class's concepts (they support
            the prediction), JSON form; ``None`` when the graph was not searched.
        opposing (list[dict], optional): Graph paths to another class's concepts (they oppose
            the prediction), each with its ``class``; ``None`` when the graph was not searched.
    """

    iri: str
    label: str
    mentions: list[dict]
    token_indices: list[int]
    attribution: float
    share: float
    channel_share: float = 0.0
    is_class_concept: bool = False
    paths: list[dict] | None = None
    opposing: list[dict] | None = None


@dataclass
class TextExplanation:
    """The explanation of one text (see the module docstring for the JSON form)."""

    text: str
    prediction: dict
    completeness: dict
    tokens: list[dict]
    top_tokens: list[int]
    entities: list[EntityExplanation] = field(default_factory=list)
    counterfactual: dict | None = None
    notes: list[str] = field(default_factory=list)
    bag: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON form."""
        return asdict(self)


@dataclass
class ExplainResult:
    """Explanations of one or more texts by one trained run.

    Args:
        run_dir (str): The run explained.
        classes (list[str]): Class labels in model order.
        knowledge (dict): ``used``, ``store``, ``store_location``, ``class_map``.
        attribution (dict): Method settings (see the module docstring).
        explanations (list[TextExplanation]): One per text.
        notes (list[str]): Run-level notes (e.g. a run without knowledge).
    """

    run_dir: str
    classes: list[str]
    knowledge: dict
    attribution: dict
    explanations: list[TextExplanation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON form, schema ``kgft.explain/1``."""
        return {
            "schema": SCHEMA,
            "run_dir": self.run_dir,
            "classes": list(self.classes),
            "knowledge": self.knowledge,
            "attribution": self.attribution,
            "notes": list(self.notes),
            "explanations": [e.to_dict() for e in self.explanations],
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the JSON form atomically.

        Args:
            path (str or PathLike): Target file (e.g. ``RUN_DIR/explanations.json``).

        Returns:
            Path: The file written.
        """
        return write_json_atomic(path, self.to_dict(), indent=2, ensure_ascii=False)
