"""The training configuration: defaults, TOML files, CLI overrides, validation.

A config file is flat TOML whose keys are the fields of :class:`TrainConfig`
(the CLI's long options with ``-`` written as ``_``)::

    dataset = "imdb"
    knowledge = "runs/wordnet-transe"
    max_train = 4000
    epochs = 3

Options given on the command line override the file; unknown keys are an
error naming the key and the file.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from kg.errors import ConfigError
from kg.validation import require_at_least_one, require_choice
from model.knowledge.augmented import KnowledgeOptions as _K
from model.knowledge.controls import CONTROLS
from model.knowledge.encoder import TRUNCATE_MODES
from model.knowledge.projection import PROJECTION_MODES as PROJECTIONS
from model.classifier import POOLINGS
from model.train.loop import CLASS_WEIGHTS
from model.train.loop import TrainSettings as _T


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of ``kgft train``.

    Args:
        dataset (str): ``imdb``, ``mr``, ``ohsumed`` or a CSV/TSV/JSONL path. (default: ``"imdb"``)
        knowledge (str, optional): Embedding run or embedded store; ``None`` trains without knowledge.
        baseline (bool): Ignore ``knowledge``: the no-knowledge control. (default: ``False``)
        knowledge_control (str): ``none`` or ``shuffled`` (entity vectors permuted). (default: ``"none"``)
        init (bool): Initialize linked tokens from entity vectors. (default: ``True``)
        reg_weight (float): Regularizer weight (0: off). (default: ``0.1``)
        neighbour_weight (float): Weight of the graph-neighbour term inside the regularizer. (default: ``0.5``)
        projection (str): ``fixed`` (random orthogonal) or ``learned``. (default: ``"fixed"``)
        joint (bool): Train the KGE model jointly (needs ``reg_weight > 0``). (default: ``False``)
        joint_weight (float): Weight of the KGE loss. (default: ``0.1``)
        joint_batch (int): Triples per step for the KGE loss. (default: ``512``)
        max_entities_per_token (int): Cap on entities averaged for one token. (default: ``8``)
        max_entities_per_mention (int): Entity tokens inserted per multi-word mention. (default: ``1``)
        seeds (int): Independent runs (seeds ``seed .. seed+seeds-1``). (default: ``1``)
        seed (int): First seed. (default: ``0``)
        device (str): ``auto``, ``cpu`` or ``cuda``. (default: ``"auto"``)
        epochs, batch_size, lr, weight_decay, clip, patience, monitor: optimization
            (defaults 5, 64, 2e-3, 0.01, 1.0, 2, ``macro_f1``).
        class_weight (str): ``none`` or ``balanced`` loss weights. (default: ``"none"``)
        embedding_dim, hidden, layers, dropout: architecture (defaults 100, 256, 2, 0.5).
        pooling (str): Document vector: ``last`` hidden states, ``max`` or ``mean`` over
            the outputs. (default: ``"last"``)
        max_len (int): Tokens per text after entity-token insertion. (default: ``256``)
        truncate (str): Keep the ``head`` or the ``tail`` of longer texts. (default: ``"head"``)
        min_freq (int): Vocabulary minimum frequency. (default: ``2``)
        max_vocab (int): Vocabulary size cap. (default: ``50000``)
        lowercase (bool): Tokenizer lower-casing. (default: ``True``)
        train_fraction, max_train, max_valid, max_test, valid_fraction, text_column, label_column:
            dataset loading (see :func:`model.text.load_dataset`).
        embed_model, embed_dim, embed_epochs, embed_batch_size, embed_negatives, embed_sampling:
            the KGE run made when ``knowledge`` is a store (defaults ``transe``, 64, 30, 1000, 4,
            ``typed``: see :mod:`model.kge.negatives`; validated once, at the end).
        threads (int, optional): ``torch.set_num_threads``. (default: ``None``)
    """

    dataset: str = "imdb"
    knowledge: str | None = None
    baseline: bool = False
    knowledge_control: str = "none"
    # Knowledge and optimization defaults are those of KnowledgeOptions and TrainSettings (one source).
    init: bool = _K.init
    reg_weight: float = _K.reg_weight
    neighbour_weight: float = _K.neighbour_weight
    projection: str = _K.projection
    joint: bool = _K.joint
    joint_weight: float = _K.joint_weight
    joint_batch: int = _K.joint_batch
    max_entities_per_token: int = 8
    max_entities_per_mention: int = 1
    seeds: int = 1
    seed: int = 0
    device: str = "auto"
    epochs: int = _T.epochs
    batch_size: int = _T.batch_size
    lr: float = _T.lr
    weight_decay: float = _T.weight_decay
    clip: float = _T.clip
    patience: int = _T.patience
    monitor: str = _T.monitor
    class_weight: str = _T.class_weight
    embedding_dim: int = 100
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.5
    pooling: str = "last"
    max_len: int = 256
    truncate: str = "head"
    min_freq: int = 2
    max_vocab: int = 50000
    lowercase: bool = True
    train_fraction: float = 1.0
    max_train: int | None = None
    max_valid: int | None = None
    max_test: int | None = None
    valid_fraction: float = 0.1
    text_column: str = "text"
    label_column: str = "label"
    embed_model: str = "transe"
    embed_dim: int = 64
    embed_epochs: int = 30
    embed_batch_size: int = 1000
    embed_negatives: int = 4
    embed_sampling: str = "typed"
    threads: int | None = None

    def __post_init__(self) -> None:
        from model.kge.config import NEGATIVES

        for value, choices, what in ((self.knowledge_control, CONTROLS, "knowledge control"),
                                     (self.truncate, TRUNCATE_MODES, "truncate mode"),
                                     (self.pooling, POOLINGS, "pooling"),
                                     (self.class_weight, CLASS_WEIGHTS, "class weight"),
                                     (self.embed_sampling, NEGATIVES, "embed_sampling"),
                                     (self.projection, PROJECTIONS, "projection")):
            require_choice(value, choices, what)
        require_at_least_one(self, ("seeds", "epochs", "batch_size", "embedding_dim", "hidden", "layers", "max_len",
                                    "min_freq", "max_vocab", "max_entities_per_token", "max_entities_per_mention",
                                    "joint_batch"))
        if self.reg_weight < 0 or self.neighbour_weight < 0 or self.joint_weight < 0:
            raise ConfigError("reg-weight, neighbour-weight and joint-weight must not be negative")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.uses_knowledge and self.joint and self.reg_weight == 0:
            raise ConfigError("--joint needs --reg-weight > 0",
                              hint="the regularizer is what couples token and entity embeddings")
        if not self.uses_knowledge and self.knowledge_control != "none" and not self.baseline:
            raise ConfigError("--knowledge-control shuffled needs --knowledge")

    @property
    def uses_knowledge(self) -> bool:
        """Whether this run injects knowledge (``knowledge`` given and not ``baseline``)."""
        return bool(self.knowledge) and not self.baseline

    @property
    def kind(self) -> str:
        """``baseline``, ``knowledge`` or ``shuffled``."""
        if not self.uses_knowledge:
            return "baseline"
        return "shuffled" if self.knowledge_control == "shuffled" else "knowledge"

    def to_dict(self) -> dict:
        """Plain dict (``None`` values kept)."""
        return asdict(self)

    def replace(self, **changes) -> "TrainConfig":
        """A copy with ``changes`` applied (validated)."""
        check_keys(changes, "overrides")
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, data: dict, where: str = "config") -> "TrainConfig":
        """Build from a dict, refusing unknown keys.

        Raises:
            ConfigError: unknown keys or bad values.
        """
        check_keys(data, where)
        try:
            return cls(**data)
        except TypeError as exc:
            raise ConfigError(f"{where}: {exc}") from exc


def check_keys(data: dict, where: str) -> None:
    """Refuse keys that are not :class:`TrainConfig` fields.

    Raises:
        ConfigError: naming the unknown keys and ``where`` they came from.
    """
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown config key(s): {', '.join(unknown)}",
                          hint=f"known keys: {', '.join(sorted(known))}")


def load_config_file(path: Path | str) -> dict:
    """Read a TOML config file into a dict of :class:`TrainConfig` fields.

    Raises:
        ConfigError: missing file, invalid TOML or unknown keys.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    check_keys(data, str(path))
    return data


def resolve_config(config_file: Path | str | None, overrides: dict) -> TrainConfig:
    """Defaults, then the file, then the CLI options that were given (non-``None``).

    Args:
        config_file (Path or str, optional): A TOML file.
        overrides (dict): Option values; ``None`` means "not given".

    Returns:
        TrainConfig: The resolved configuration.
    """
    data = load_config_file(config_file) if config_file else {}
    data.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig.from_dict(data, str(config_file) if config_file else "options")
