"""The inputs of a training run directory: writing them, reading a trained run back.

:func:`save_inputs` writes, before training (by rank 0), the run's
configuration (status ``running``), tokenizer and vocabulary and, for
knowledge runs, the knowledge summary, linker coverage on the training split,
token links (word → entities it was linked to), the entity linker (so text can
be linked again at evaluation or explanation time without the store) and the
knowledge channel's spec. :func:`load_trained_run` reads a finished run for
``kgft evaluate`` and ``kgft explain``. Where each file lives is
:class:`pipelines.run_dir.RunDir`'s business.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.errors import ModelError
from pipelines.run_dir import RunDir, write_json


def save_inputs(out: Path, run_config: dict, prepared, vocab, knowledge) -> dict | None:
    """Write the run's inputs; returns the coverage report (``None`` without knowledge)."""
    run = RunDir(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(run.config, run_config)
    write_json(run.tokenizer, prepared.encoder.settings())
    vocab.save(run.vocab)
    if knowledge is None:
        return None
    labels = dict(knowledge.run.labels)
    coverage = prepared.coverage.to_dict(labels)
    write_json(run.knowledge_summary, knowledge.summary())
    write_json(run.coverage, coverage)
    write_json(run.links, prepared.links.to_dict())
    prepared.encoder.linker.save(run.linker)
    if prepared.channel is not None:
        from pipelines.knowledge_channel import save_spec

        save_spec(prepared.channel, run.channel)
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
        config (dict): Its ``config.json`` (:meth:`RunDir.read_config`).
        labels (list[str]): Class names.
        vocab: The :class:`model.text.Vocab`.
        encoder: The :class:`model.knowledge.encoder.TextEncoder` (with the linker for knowledge runs).
        classifier: The best epoch's :class:`model.classifier.BiLSTMClassifier` (eval mode, CPU).
        seed (int): Which seed's model.
        token_links (dict): Word → entities it stood for in training (empty for the baseline).
        channel: The seed's :class:`~model.knowledge.channel_inputs.ChannelEncoder` when the
            classifier has a knowledge channel. (default: ``None``)
    """

    run_dir: Path
    config: dict
    labels: list
    vocab: object
    encoder: object
    classifier: object
    seed: int
    token_links: dict
    channel: object = None

    @property
    def has_knowledge(self) -> bool:
        """Whether the run used knowledge."""
        return self.config.get("kind") in ("knowledge", "shuffled")

    def encode(self, text: str) -> tuple[list[str], list[int]]:
        """Tokens (entity tokens included) and ids of one text."""
        tokens = self.encoder.process(text)
        return tokens, self.encoder.encode(self.vocab, [tokens])[0]

    def encode_texts(self, texts, labels=None):
        """:class:`~model.train.EncodedSplit` of ``texts`` (with channel inputs when the model has a channel).

        Args:
            texts (Iterable[str]): Raw texts.
            labels (list[int], optional): Their label ids; ``None`` gives zeros. (default: ``None``)
        """
        return self.encode_linked(self.encoder.analyse_many(texts), labels)

    def encode_linked(self, linked, labels=None):
        """:meth:`encode_texts` of texts already analysed by the run's encoder (``LinkedText`` each)."""
        from model.train import EncodedSplit

        ids = self.encoder.encode(self.vocab, [t.tokens for t in linked])
        labels = list(labels) if labels is not None else [0] * len(ids)
        if self.channel is None:
            return EncodedSplit(ids, labels)
        docs = [self.channel.encode(t.position_entities, t.mention_entities, t.mention_negated) for t in linked]
        return EncodedSplit(ids, labels, docs, self.channel.slots)


def load_trained_run(run_dir: Path | str, seed: int | None = None) -> TrainedRun:
    """Load the best model of one seed (default: the first) with its text pipeline.

    Raises:
        ModelError: missing files, or a checkpoint that does not match the vocabulary.
    """
    from model.classifier import BiLSTMClassifier, ClassifierConfig
    from model.knowledge.encoder import TextEncoder
    from model.text import Vocab
    from model.train import load_checkpoint, vocab_hash

    run_dir = Path(run_dir)
    run = RunDir(run_dir)
    config = run.read_config()
    seed = int(config["train"]["seed"]) if seed is None else int(seed)
    best = run.seed(seed).best
    vocab = Vocab.load(run.vocab)
    data = load_checkpoint(best)
    if data.get("vocab_hash") != vocab_hash(vocab.itos):
        raise ModelError(f"{best} does not match {run.vocab} (another vocabulary)")
    try:
        classifier = BiLSTMClassifier(ClassifierConfig(**data["model_config"]))
    except TypeError as exc:  # e.g. a run saved when bigrams were hashed (its config has ngram_buckets)
        raise ModelError(f"{best}: its model configuration does not fit this version's classifier ({exc})",
                         hint="train the run again with this version of kgft") from None
    try:
        keys = classifier.load_state_dict(data["classifier"], strict=False)
        problem = ", ".join([f"missing {k}" for k in keys.missing_keys] + [f"unexpected {k}" for k in keys.unexpected_keys])
    except RuntimeError as exc:  # weights of another shape
        problem = str(exc).splitlines()[-1].strip()
    if problem:  # e.g. a run saved before the n-gram head had its idf weights
        raise ModelError(f"{best}: its weights do not fit this version's classifier ({problem})",
                         hint="train the run again with this version of kgft")
    classifier.eval()
    linker, links = None, {}
    if run.linker.is_file():
        from kg.linking import EntityLinker

        linker = EntityLinker.load(run.linker)
        links = json.loads(run.links.read_text(encoding="utf-8"))
    encoder = TextEncoder.from_settings(json.loads(run.tokenizer.read_text(encoding="utf-8")), linker)
    channel = None
    if classifier.channel is not None:
        from pipelines.knowledge_channel import load_spec

        channel = load_spec(run.channel).for_seed(seed, list(config["labels"])).encoder
    return TrainedRun(run_dir, config, list(config["labels"]), vocab, encoder, classifier, seed, links, channel)
