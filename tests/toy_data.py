"""Toy data shared by the training and report tests."""

from __future__ import annotations

import csv
import random
from pathlib import Path

FILLER = "the movie plot actor scene story film director music camera".split()

# A tiny sentiment ontology: polarity classes plus labelled words linked to them.
POLARITY_ONTOLOGY = """@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Positive rdfs:label "positive polarity" .
ex:Negative rdfs:label "negative polarity" .
ex:good rdfs:label "good" ; ex:polarity ex:Positive .
ex:great rdfs:label "great" ; ex:polarity ex:Positive ; ex:similar ex:good .
ex:fun rdfs:label "fun" ; ex:polarity ex:Positive .
ex:bad rdfs:label "bad" ; ex:polarity ex:Negative .
ex:awful rdfs:label "awful" ; ex:polarity ex:Negative ; ex:similar ex:bad .
ex:boring rdfs:label "boring" ; ex:polarity ex:Negative .
"""


def write_sentiment_csv(path: Path, words: dict[str, list[str]], n: int = 120, *, max_filler: int = 9,
                        labels: tuple[str, ...] = ("neg", "pos"), empty_row: int | None = None) -> Path:
    """Write a seeded toy sentiment CSV (``text,label``): filler words plus one cue per row.

    Args:
        path (Path): Target file.
        words (dict[str, list[str]]): Cue phrases per label (a label without cues gets ``"meh"``).
        n (int): Rows. (default: ``120``)
        max_filler (int): At most this many filler words per row (at least 3). (default: ``9``)
        labels (tuple[str, ...]): Labels assigned round-robin. (default: ``("neg", "pos")``)
        empty_row (int, optional): Index of a row whose text is left empty. (default: ``None``)

    Returns:
        Path: ``path``.
    """
    g = random.Random(0)
    with open(path, "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["text", "label"])
        for i in range(n):
            lab = labels[i % len(labels)]
            toks = [g.choice(FILLER) for _ in range(g.randint(3, max_filler))]
            toks.insert(g.randrange(len(toks) + 1), g.choice(words.get(lab, ["meh"])))
            w.writerow(["" if i == empty_row else " ".join(toks), lab])
    return path


def channel_split(n: int, seed: int):
    """An :class:`~model.train.EncodedSplit` of ``n`` random texts whose knowledge-channel inputs
    carry the label: each text's first token links the label's concept (5 + label, under 2 + label,
    under 1), its bag holds feature ``label``."""
    import numpy as np

    from model.knowledge.channel_inputs import ChannelDoc
    from model.train import EncodedSplit

    rng = np.random.default_rng(seed)
    ids, labels, docs = [], [], []
    for i in range(n):
        y = i % 2
        seq = rng.integers(4, 38, rng.integers(3, 10)).tolist()
        ids.append(seq)
        labels.append(y)
        positions = np.array([0, len(seq) - 1])
        slots = np.array([[5 + y, 2 + y, 1], [4, 0, 0]])  # the label's concept and its ancestor
        docs.append(ChannelDoc(positions, slots, np.array([y]), np.array([1.0], np.float32)))
    return EncodedSplit(ids, labels, docs, 3)


def channel_classifier_config(**changes):
    """A tiny :class:`~model.classifier.ClassifierConfig` with a knowledge channel fitting :func:`channel_split`."""
    from model.classifier import ClassifierConfig
    from model.knowledge.channel import ChannelConfig

    return ClassifierConfig(**{"vocab_size": 40, "num_classes": 2, "embedding_dim": 8, "hidden": 8, "dropout": 0.3,
                               "channel": ChannelConfig(8, 6, 4, 4, 3).to_dict(), **changes})


def import_store(root: Path, ontology: str) -> Path:
    """Write ``ontology`` (Turtle) under ``root`` and import it with ``kgft ontology import`` into ``root/store``."""
    from click.testing import CliRunner

    from cli import cli

    (root / "onto.ttl").write_text(ontology)
    res = CliRunner().invoke(cli, ["ontology", "import", str(root / "onto.ttl"), "--store", str(root / "store")])
    assert res.exit_code == 0, res.output
    return root / "store"
