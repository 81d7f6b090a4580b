"""The training configuration: defaults, TOML files, CLI overrides, validation.

A config file is TOML whose top-level keys are the fields of :class:`TrainConfig`
(the CLI's long options with ``-`` written as ``_``); its ``[channel]`` table
holds the knowledge channel's options
(:class:`~pipelines.knowledge_channel.ChannelOptions`) and its ``[linking]``
table how text is linked to the graph (:class:`LinkingOptions`)::

    dataset = "imdb"
    knowledge = "runs/wordnet-transe"
    max_train = 4000
    epochs = 3

    [channel]
    concept_dim = 32

Options given on the command line override the file (``--concept-dim`` sets
``channel.concept_dim``, ``--max-entity-share`` sets ``linking.max_entity_share``);
unknown keys are an error naming the key and the file.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from kg.errors import ConfigError
from kg.validation import require_at_least_one, require_choice
from model.knowledge.augmented import KnowledgeOptions as _K
from model.knowledge.controls import CONTROLS
from model.knowledge.encoder import TRUNCATE_MODES
from model.knowledge.negation import NEGATION_CUES, NegationScope
from model.knowledge.projection import PROJECTION_MODES as PROJECTIONS
from model.classifier import POOLINGS
from model.train.loop import CLASS_WEIGHTS, LR_SCHEDULES
from model.train.loop import TrainSettings as _T
from pipelines.knowledge_channel import ChannelOptions


@dataclass(frozen=True)
class LinkingOptions:
    """The ``[linking]`` part: how a knowledge run links text to the graph.

    Args:
        fold_plurals (bool): Match singular and plural forms alike (labels and text). (default: ``True``)
        max_entity_share (float): Drop entities linked in more than this share of the
            training texts (generic concepts such as "patients"); 1 keeps all. (default: ``1.0``)
        negation (bool): Count mentions right after a negation cue apart
            (:mod:`model.knowledge.negation`). (default: ``True``)
        negation_cues (tuple[str, ...]): The cue words; empty uses
            :data:`~model.knowledge.negation.NEGATION_CUES` (English). (default: ``()``)
        negation_window (int): Tokens a cue reaches. (default: ``3``)
    """

    fold_plurals: bool = True
    max_entity_share: float = 1.0
    negation: bool = True
    negation_cues: tuple[str, ...] = ()
    negation_window: int = 3

    def __post_init__(self) -> None:
        if not (isinstance(self.max_entity_share, (int, float)) and 0 < self.max_entity_share <= 1):
            raise ConfigError(f"linking.max_entity_share must be in (0, 1], got {self.max_entity_share}")
        if self.negation_window < 1:
            raise ConfigError(f"linking.negation_window must be at least 1, got {self.negation_window}")
        object.__setattr__(self, "negation_cues", tuple(str(c).lower() for c in self.negation_cues))

    def negation_scope(self) -> NegationScope | None:
        """The :class:`~model.knowledge.negation.NegationScope`, or ``None`` when negation is off."""
        if not self.negation:
            return None
        return NegationScope(self.negation_cues or NEGATION_CUES, self.negation_window)

    def to_dict(self) -> dict:
        """Plain dict form."""
        return {**dataclasses.asdict(self), "negation_cues": list(self.negation_cues)}


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of ``kgft train``.

    Args:
        dataset (str): ``imdb``, ``mr``, ``ohsumed`` or a CSV/TSV/JSONL path. (default: ``"imdb"``)
        knowledge (str, optional): Embedding run or embedded store; ``None`` trains without knowledge.
        baseline (bool): Ignore ``knowledge``: the no-knowledge control. (default: ``False``)
        knowledge_control (str): ``none`` or ``shuffled`` (entity vectors permuted). (default: ``"none"``)
        init (bool): Initialize linked tokens from entity vectors (ablation). (default: ``False``)
        reg_weight (float): Token regularizer weight (0: off; ablation). (default: ``0.0``)
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
        lr_schedule (str): ``cosine`` (warm-up, then cosine decay) or ``constant``. (default: ``"cosine"``)
        warmup (float): Share of the steps spent warming up. (default: ``0.05``)
        embedding_dim, hidden, layers, dropout: architecture, sized for a CPU (defaults 100, 128,
            1, 0.5; ``examples/*_gpu.toml`` hold GPU-sized settings).
        embedding_dropout (float): Dropout on the LSTM's input vectors. (default: ``0.2``)
        init_std (float): Standard deviation of the token embeddings' initialization. (default: ``0.1``)
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
        channel (ChannelOptions): The knowledge channel (``[channel]`` table). (default: ``ChannelOptions()``)
        linking (LinkingOptions): Entity linking (``[linking]`` table). (default: ``LinkingOptions()``)
    """

    dataset: str = "imdb"
    knowledge: str | None = None
    baseline: bool = False
    knowledge_control: str = "none"
    # The knowledge channel ([channel]) is the default knowledge path (it lifted most on validation
    # data, BENCHMARKS.md); token-level init and regularizer are ablations, off unless asked for.
    init: bool = False
    reg_weight: float = 0.0
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
    epochs: int = 10
    batch_size: int = _T.batch_size
    lr: float = _T.lr
    weight_decay: float = _T.weight_decay
    clip: float = _T.clip
    patience: int = 3
    monitor: str = _T.monitor
    class_weight: str = _T.class_weight
    lr_schedule: str = "cosine"
    warmup: float = _T.warmup
    embedding_dim: int = 100
    hidden: int = 128
    layers: int = 1
    dropout: float = 0.5
    embedding_dropout: float = 0.2
    init_std: float = 0.1
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
    channel: ChannelOptions = field(default_factory=ChannelOptions)
    linking: LinkingOptions = field(default_factory=LinkingOptions)

    def __post_init__(self) -> None:
        from model.kge.config import NEGATIVES

        for value, choices, what in ((self.knowledge_control, CONTROLS, "knowledge control"),
                                     (self.truncate, TRUNCATE_MODES, "truncate mode"),
                                     (self.pooling, POOLINGS, "pooling"),
                                     (self.class_weight, CLASS_WEIGHTS, "class weight"),
                                     (self.embed_sampling, NEGATIVES, "embed_sampling"),
                                     (self.lr_schedule, LR_SCHEDULES, "lr schedule"),
                                     (self.projection, PROJECTIONS, "projection")):
            require_choice(value, choices, what)
        require_at_least_one(self, ("seeds", "epochs", "batch_size", "embedding_dim", "hidden", "layers", "max_len",
                                    "min_freq", "max_vocab", "max_entities_per_token", "max_entities_per_mention",
                                    "joint_batch", "embed_dim", "embed_epochs", "embed_batch_size",
                                    "embed_negatives"))
        self._check_numbers()
        for name, part in PARTS.items():
            if not isinstance(getattr(self, name), part):
                raise ConfigError(f"{name} must be a [{name}] table of options")
        if self.uses_knowledge and self.joint and self.reg_weight == 0:
            raise ConfigError("--joint needs --reg-weight > 0",
                              hint="the regularizer is what couples token and entity embeddings")
        if not self.uses_knowledge and self.knowledge_control != "none" and not self.baseline:
            raise ConfigError("--knowledge-control shuffled needs --knowledge")

    def _check_numbers(self) -> None:
        """Finite, in-range numbers (checked before anything is written)."""
        for name in ("lr", "weight_decay", "clip", "reg_weight", "neighbour_weight", "joint_weight", "warmup",
                     "init_std", "train_fraction", "valid_fraction"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"{name.replace('_', '-')} must be a finite number >= 0, got {value}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        for name in ("dropout", "embedding_dropout", "warmup"):
            if not 0 <= getattr(self, name) < 1:
                raise ConfigError(f"{name.replace('_', '-')} must be in [0, 1), got {getattr(self, name)}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"threads must be at least 1, got {self.threads}")

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

    @property
    def uses_channel(self) -> bool:
        """Whether this run builds the knowledge channel."""
        return self.uses_knowledge and self.channel.enabled

    def to_dict(self) -> dict:
        """Plain dict (``None`` values kept; each part as a table)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update({name: getattr(self, name).to_dict() for name in PARTS})
        return out

    def replace(self, **changes) -> "TrainConfig":
        """A copy with ``changes`` applied (validated; a part may be given as a dict of its options)."""
        check_keys(changes, "overrides")
        for name in PARTS:
            if isinstance(changes.get(name), dict):
                changes[name] = dataclasses.replace(getattr(self, name), **changes[name])
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, data: dict, where: str = "config") -> "TrainConfig":
        """Build from a dict, refusing unknown keys.

        Raises:
            ConfigError: unknown keys or bad values.
        """
        check_keys(data, where)
        data = dict(data)
        try:
            for name, part in PARTS.items():
                if isinstance(data.get(name), dict):
                    data[name] = part(**data[name])
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
    for name, part in PARTS.items():
        value = data.get(name)
        if isinstance(value, dict):
            unknown += [f"{name}.{k}" for k in sorted(set(value) - {f.name for f in fields(part)})]
        elif value is not None and not isinstance(value, part):
            unknown.append(f"{name} (must be a [{name}] table)")
    if unknown:
        parts = "; ".join(f"[{n}] keys: {', '.join(f.name for f in fields(p))}" for n, p in PARTS.items())
        raise ConfigError(f"{where}: unknown config key(s): {', '.join(unknown)}",
                          hint=f"known keys: {', '.join(sorted(known))}; {parts}")


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
    nested = {name: dict(data.get(name) or {}) for name in PARTS}
    for key, value in overrides.items():
        if value is None:
            continue
        part = next((name for name in PARTS if key.startswith(name + "_")), None)
        if part is None:
            data[key] = value
        else:
            nested[part][key[len(part) + 1:]] = value
    data.update({name: values for name, values in nested.items() if values})
    return TrainConfig.from_dict(data, str(config_file) if config_file else "options")


#: The nested parts of a :class:`TrainConfig`: TOML table (and CLI option prefix) → options class.
PARTS = {"channel": ChannelOptions, "linking": LinkingOptions}
