"""The files of a training run directory: writing the inputs, reading a trained run back.

Written before training (by rank 0): ``config.json`` (status ``running``),
``tokenizer.json``, ``vocab.json`` and, for knowledge runs,
``knowledge.json``, ``coverage.json`` (linker coverage on the training
split), ``token_links.json`` (word → entities it was linked to) and
``linker.json`` (the entity linker, so text can be linked again at evaluation
or explanation time without the store).
:func:`load_trained_run` reads a finished run for ``kgft evaluate`` and
``kgft explain``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kg.errors import ModelError

TOKENIZER_FILE = "tokenizer.json"
VOCAB_FILE = "vocab.json"
LINKER_FILE = "linker.json"
LINKS_FILE = "token_links.json"
COVERAGE_FILE = "coverage.json"


def save_inputs(out: Path, run_config: dict, prepared, vocab, knowledge) -> dict | None:
    """Write the run's inputs; returns the coverage report (``None`` without knowledge)."""
    from pipelines.train import CONFIG_FILE, write_json

    out.mkdir(parents=True, exist_ok=True)
    write_json(out / CONFIG_FILE, run_config)
    write_json(out / TOKENIZER_FILE, {**prepared.encoder.tokenizer.to_dict(),
                                      "max_len": prepared.encoder.max_len,
                                      "truncate": prepared.encoder.truncate,
                                      "max_entities_per_mention": prepared.encoder.max_entities_per_mention})
    vocab.save(out / VOCAB_FILE)
    if knowledge is None:
        return None
    labels = dict(knowledge.run.labels)
    coverage = prepared.coverage.to_dict(labels)
    write_json(out / "knowledge.json", knowledge.summary())
    write_json(out / COVERAGE_FILE, coverage)
    write_json(out / LINKS_FILE, prepared.links.to_dict())
    prepared.encoder.linker.save(out / LINKER_FILE)
    return coverage


def encode_splits(prepared, vocab, dataset) -> dict:
    """:class:`model.train.EncodedSplit` of train/valid/test."""
    from model.train import EncodedSplit

    return {split: EncodedSplit(prepared.encoder.encode(vocab, prepared.tokens[split]),
                                [ex.label for ex in dataset.split(split)])
            for split in ("train", "valid", "test")}


@dataclass
class TrainedRun:
    """A finished training run, ready to predict.

    Args:
        run_dir (Path): The directory.
        config (dict): Its ``config.json``.
        labels (list[str]): Class names.
        vocab: The :class:`model.text.Vocab`.
        encoder: The :class:`model.knowledge.encoder.TextEncoder` (with the linker for knowledge runs).
        classifier: The best epoch's :class:`model.classifier.BiLSTMClassifier` (eval mode, CPU).
        seed (int): Which seed's model.
        token_links (dict): Word → entities it stood for in training (empty for the baseline).
    """

    run_dir: Path
    config: dict
    labels: list
    vocab: object
    encoder: object
    classifier: object
    seed: int
    token_links: dict

    @property
    def has_knowledge(self) -> bool:
        """Whether the run used knowledge."""
        return self.config.get("kind") in ("knowledge", "shuffled")

    def encode(self, text: str) -> tuple[list[str], list[int]]:
        """Tokens (entity tokens included) and ids of one text."""
        tokens = self.encoder.process(text)
        return tokens, self.encoder.encode(self.vocab, [tokens])[0]


def read_config(run_dir: Path) -> dict:
    """``config.json`` of a training run.

    Raises:
        ModelError: not a (finished) kgft training run.
    """
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise ModelError(f"{run_dir} is not a kgft training run (no config.json)",
                         hint="create one with: kgft train ... --out RUN_DIR")
    config = json.loads(path.read_text(encoding="utf-8"))
    if "train" not in config or "labels" not in config:
        raise ModelError(f"{path} is not a kgft training config (from another kgft version or command?)")
    return config


def load_trained_run(run_dir: Path | str, seed: int | None = None) -> TrainedRun:
    """Load the best model of one seed (default: the first) with its text pipeline.

    Raises:
        ModelError: missing files, or a checkpoint that does not match the vocabulary.
    """
    from model.classifier import BiLSTMClassifier, ClassifierConfig
    from model.knowledge.encoder import TextEncoder
    from model.text import Tokenizer, Vocab
    from model.train import load_checkpoint, vocab_hash

    run_dir = Path(run_dir)
    config = read_config(run_dir)
    seed = int(config["train"]["seed"]) if seed is None else int(seed)
    best = run_dir / f"seed-{seed}" / "best.pt"
    vocab = Vocab.load(run_dir / VOCAB_FILE)
    data = load_checkpoint(best)
    if data.get("vocab_hash") != vocab_hash(vocab.itos):
        raise ModelError(f"{best} does not match {run_dir / VOCAB_FILE} (another vocabulary)")
    classifier = BiLSTMClassifier(ClassifierConfig(**data["model_config"]))
    classifier.load_state_dict(data["classifier"])
    classifier.eval()
    tok_opts = json.loads((run_dir / TOKENIZER_FILE).read_text(encoding="utf-8"))
    max_len = tok_opts.pop("max_len")
    truncate = tok_opts.pop("truncate", "head")
    per_mention = tok_opts.pop("max_entities_per_mention")
    linker, links = None, {}
    if (run_dir / LINKER_FILE).is_file():
        from kg.linking import EntityLinker

        linker = EntityLinker.load(run_dir / LINKER_FILE)
        links = json.loads((run_dir / LINKS_FILE).read_text(encoding="utf-8"))
    encoder = TextEncoder(Tokenizer.from_dict(tok_opts), max_len, linker, per_mention, truncate=truncate)
    return TrainedRun(run_dir, config, list(config["labels"]), vocab, encoder, classifier, seed, links)
