"""Hand-made inputs shared by the explain tests: a tiny ontology and a tiny labelled dataset."""

from __future__ import annotations

import csv
import random
from pathlib import Path

SKOS = "http://www.w3.org/2004/02/skos/core#"

POSITIVE_WORDS = ("good", "great", "excellent")
NEGATIVE_WORDS = ("awful", "terrible", "waste of time")
FILLER = ("the", "movie", "was", "plot", "actors", "really", "quite", "a", "story", "and", "this", "film")


def tiny_ontology(ns: str) -> str:
    """A MeSH-like tree and a sentiment lexicon with WordNet-like links, in Turtle.

    Hand-known facts (``ex:`` is ``ns``):

    * ``Adenoma`` reaches ``C04`` up ``broader`` in 2 steps (via ``D1``); forward it
      cannot reach ``C14``; walking both ways it does in 5 steps through ``C04``
      and ``HeartNeoplasms`` (the 2-step shortcut through the scheme is excluded).
    * ``excellent`` reaches ``Positive`` in 2 steps, through ``good`` and through
      ``great`` (two equally short paths); ``Excellence``, labelled "excellent" too,
      is connected to nothing.
    * ``terrible`` reaches ``Negative`` by walking ``similarTo`` backwards to ``awful``.
    * ``waste`` ("waste of time", a multi-word label) is one ``polarity`` step from ``Negative``.
    * ``awful`` reaches ``Positive`` in 3 steps only through ``Negative`` (and
      ``envious``, which has both polarities).
    * ``meh`` reaches ``Negative`` only through a blank node, which paths never use.
    """
    return f"""
@prefix skos: <{SKOS}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <{ns}> .
ex:scheme a skos:ConceptScheme .
ex:C04 a skos:Concept ; skos:prefLabel "Neoplasms"@en ; skos:inScheme ex:scheme .
ex:C14 a skos:Concept ; skos:prefLabel "Cardiovascular Diseases"@en ; skos:inScheme ex:scheme .
ex:D1 a skos:Concept ; skos:prefLabel "Neoplasms, Glandular and Epithelial"@en ;
    skos:broader ex:C04 ; skos:inScheme ex:scheme .
ex:Adenoma a skos:Concept ; skos:prefLabel "Adenoma"@en ; skos:broader ex:D1 ; skos:inScheme ex:scheme .
ex:HeartNeoplasms a skos:Concept ; skos:prefLabel "Heart Neoplasms"@en ;
    skos:broader ex:C04, ex:HeartDiseases ; skos:inScheme ex:scheme .
ex:HeartDiseases a skos:Concept ; skos:prefLabel "Heart Diseases"@en ; skos:broader ex:C14 .
ex:Positive rdfs:label "Positive" .
ex:Negative rdfs:label "Negative" .
ex:polarity rdfs:label "polarity" .
ex:good rdfs:label "good" ; ex:polarity ex:Positive .
ex:great rdfs:label "great" ; ex:polarity ex:Positive .
ex:excellent rdfs:label "excellent" ; ex:similarTo ex:good, ex:great .
ex:Excellence rdfs:label "excellent" .
ex:awful rdfs:label "awful" ; ex:polarity ex:Negative ; ex:similarTo ex:terrible .
ex:terrible rdfs:label "terrible" .
ex:waste rdfs:label "waste of time" ; ex:polarity ex:Negative .
ex:envious rdfs:label "envious" ; ex:polarity ex:Negative, ex:Positive .
ex:meh rdfs:label "meh" ; ex:related [ ex:related ex:Negative ] .
"""


def tiny_dataset(path: Path, n: int = 240, seed: int = 0) -> Path:
    """A CSV of short reviews: four filler words, one polarity word or phrase and one rare word.

    The rare word (``w<i>``, once per text) stays out of a ``min_freq=2`` vocabulary,
    so the model learns what ``<unk>`` means (kgft's attribution baseline).
    """
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = "pos" if i % 2 else "neg"
        words = rng.sample(FILLER, 4) + [rng.choice(POSITIVE_WORDS if label == "pos" else NEGATIVE_WORDS), f"w{i}"]
        rng.shuffle(words)
        rows.append((" ".join(words), label))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


def class_map_toml(ns: str) -> str:
    """A class map for the tiny dataset: pos/neg to the tiny ontology's polarity concepts."""
    return f"""
name = "tiny-sentiment"
[prefixes]
ex = "{ns}"
[paths]
direction = "any"
max_hops = 3
[classes]
pos = "ex:Positive"
neg = "ex:Negative"
"""
