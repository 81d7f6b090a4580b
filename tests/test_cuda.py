"""GPU paths: KGE training/evaluation and KG-augmented fine-tuning on CUDA (bf16 autocast).

These run only where CUDA is present (the GPU machine); on a CPU-only machine
they are skipped, since the capability is genuinely absent.
"""

from __future__ import annotations

import csv
import json
import random

import pytest
import torch

from cli import cli

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

ONTOLOGY = """
@prefix ex: <http://example.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
ex:good skos:prefLabel "good" ; skos:broader ex:Positive .
ex:great skos:prefLabel "great" ; skos:broader ex:Positive .
ex:bad skos:prefLabel "bad" ; skos:broader ex:Negative .
ex:awful skos:prefLabel "awful" ; skos:broader ex:Negative .
ex:Positive skos:prefLabel "positive" .
ex:Negative skos:prefLabel "negative" .
"""


def _write_csv(path, n=200):
    rng = random.Random(0)
    words = {"pos": ["good", "great"], "neg": ["bad", "awful"]}
    filler = "the movie plot actor scene story film".split()
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for i in range(n):
            label = ("neg", "pos")[i % 2]
            tokens = [rng.choice(filler) for _ in range(rng.randint(3, 9))]
            tokens.insert(rng.randrange(len(tokens) + 1), rng.choice(words[label]))
            writer.writerow([" ".join(tokens), label])
    return path


def test_embed_on_cuda(runner, tmp_path):
    triples = tmp_path / "kg"
    triples.mkdir()
    rows = [f"e{i}\tr{i % 3}\te{(i * 7 + 1) % 40}" for i in range(200)]
    (triples / "train.txt").write_text("\n".join(rows[:160]) + "\n")
    (triples / "valid.txt").write_text("\n".join(rows[160:180]) + "\n")
    (triples / "test.txt").write_text("\n".join(rows[180:]) + "\n")
    out = tmp_path / "run"
    result = runner.invoke(cli, ["embed", "--triples", str(triples), "--model", "rotate", "--dim", "16",
                                 "--epochs", "4", "--device", "cuda", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 < metrics["mrr"] <= 1.0


def test_knowledge_training_on_cuda_with_bf16(runner, tmp_path):
    (tmp_path / "onto.ttl").write_text(ONTOLOGY)
    store = tmp_path / "store"
    result = runner.invoke(cli, ["ontology", "import", str(tmp_path / "onto.ttl"), "--store", str(store)])
    assert result.exit_code == 0, result.output
    data = _write_csv(tmp_path / "reviews.csv")
    out = tmp_path / "train"
    result = runner.invoke(cli, ["train", "--dataset", str(data), "--knowledge", str(store), "--out", str(out),
                                 "--device", "cuda", "--epochs", "3", "--embedding-dim", "16", "--hidden", "16",
                                 "--quiet"])
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert "cuda" in json.dumps(config)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.6
