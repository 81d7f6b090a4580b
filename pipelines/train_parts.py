"""The parts of a training configuration, one per TOML table, each owned by one component.

========== ======================== ============================================================
Table      Class                    Handed whole to
========== ======================== ============================================================
[data]     :class:`DataOptions`     the dataset loader, tokenizer, text encoder and vocabulary
[model]    :class:`ModelOptions`    :func:`pipelines.model_factory.classifier_config`
[optim]    :class:`OptimOptions`    :class:`model.train.TrainSettings` (:meth:`OptimOptions.settings`)
[knowledge] :class:`InjectionOptions` :func:`pipelines.model_factory.knowledge_options` and alignment
[embed]    :class:`EmbedOptions`    :func:`pipelines.embed.embed` (:meth:`EmbedOptions.kge_config`)
[linking]  :class:`LinkingOptions`  the entity linker and negation scope
[channel]  :class:`~pipelines.knowledge_channel.ChannelOptions`  the knowledge channel
========== ======================== ============================================================

Each part validates its own values when it is built, so a configuration is
checked before anything is written.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from core.errors import ConfigError
from core.validation import require_at_least_one, require_choice, require_fraction, require_non_negative
from model.classifier import ClassifierConfig
from model.knowledge.augmented import KnowledgeOptions as _K
from model.knowledge.controls import CONTROLS
from model.knowledge.encoder import TRUNCATE_MODES
from model.knowledge.negation import NEGATION_CUES, NegationScope
from model.knowledge.projection import PROJECTION_MODES
from model.train.settings import TrainSettings


def _plain(options) -> dict:
    """A part as a plain dict (tuples as lists, for JSON and TOML)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(options).items()}


@dataclass(frozen=True)
class DataOptions:
    """The ``[data]`` part: the dataset and how its texts become token ids.

    Args:
        dataset (str): ``imdb``, ``mr``, ``ohsumed`` or a CSV/TSV/JSONL path. (default: ``"imdb"``)
        train_fraction (float): Share of the training split kept, in (0, 1]. (default: ``1.0``)
        max_train, max_valid, max_test (int, optional): Caps on each split. (default: ``None``)
        valid_fraction (float): Share of train held out for validation when the source has
            no validation split. (default: ``0.1``)
        test_fraction (float): Share held out as test when a single file has no split
            column. (default: ``0.2``)
        text_column, label_column (str): Columns of tabular files. (defaults ``"text"``, ``"label"``)
        split_seed (int, optional): Seed of the held-out splits (validation and test, and their
            caps); the training subsample follows the run's seed. Runs of several seeds that
            share it train on different subsamples, tested on the same examples. (default:
            ``None``: the run's seed)
        extra_train (tuple[str, ...]): Files of labelled rows appended to the training split after
            subsampling (:func:`model.text.extra.add_extra_train`). (default: ``()``)
        max_len (int): Tokens per text after entity-token insertion. (default: ``256``)
        truncate (str): Keep the ``head`` or the ``tail`` of longer texts. (default: ``"head"``)
        min_freq (int): Vocabulary minimum frequency. (default: ``2``)
        max_vocab (int): Vocabulary size cap. (default: ``50000``)
        lowercase (bool): Tokenizer lower-casing. (default: ``True``)
    """

    dataset: str = "imdb"
    train_fraction: float = 1.0
    max_train: int | None = None
    max_valid: int | None = None
    max_test: int | None = None
    valid_fraction: float = 0.1
    test_fraction: float = 0.2
    text_column: str = "text"
    label_column: str = "label"
    split_seed: int | None = None
    extra_train: tuple[str, ...] = ()
    max_len: int = 256
    truncate: str = "head"
    min_freq: int = 2
    max_vocab: int = 50000
    lowercase: bool = True

    #: The fields :func:`model.text.load_dataset` takes (by the same names).
    LOADER_FIELDS = ("train_fraction", "max_train", "max_valid", "max_test", "valid_fraction", "test_fraction",
                     "text_column", "label_column", "split_seed")

    def __post_init__(self) -> None:
        require_choice(self.truncate, TRUNCATE_MODES, "truncate mode")
        require_at_least_one(self, ("max_len", "min_freq", "max_vocab"))
        require_fraction("data", "train_fraction", self.train_fraction, low_open=True)
        require_fraction("data", "valid_fraction", self.valid_fraction, high_open=True)
        require_fraction("data", "test_fraction", self.test_fraction, low_open=True, high_open=True)
        for name in ("max_train", "max_valid", "max_test"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ConfigError(f"data.{name} must be at least 1, got {getattr(self, name)}")
        extra = (self.extra_train,) if isinstance(self.extra_train, str) else self.extra_train
        object.__setattr__(self, "extra_train", tuple(str(p) for p in extra or ()))

    def loader_options(self) -> dict:
        """Keyword options of :func:`model.text.load_dataset` (besides the name and seed)."""
        return {name: getattr(self, name) for name in self.LOADER_FIELDS}

    def to_dict(self) -> dict:
        """Plain dict form."""
        return _plain(self)


@dataclass(frozen=True)
class ModelOptions:
    """The ``[model]`` part: the classifier's architecture, sized for a CPU (``examples/*.toml`` hold
    GPU-sized settings). :class:`model.classifier.ClassifierConfig` owns these fields (same names)
    and their checks; this part adds the CPU defaults and leaves out what the data sizes
    (:meth:`classifier_config`).

    Args:
        embedding_dim (int): Token embedding size. (default: ``100``)
        hidden (int): LSTM hidden size per direction. (default: ``128``)
        layers (int): LSTM layers. (default: ``1``)
        dropout (float): Dropout before the head, in [0, 1). (default: ``0.5``)
        embedding_dropout (float): Dropout on the LSTM's input vectors. (default: ``0.2``)
        init_std (float): Standard deviation of the token embeddings' initialization. (default: ``0.1``)
        pooling (str): Document vector: ``last`` hidden states, ``max`` or ``mean`` over
            the outputs. (default: ``"last"``)
        ngrams (int): The linear n-gram head beside the BiLSTM (:mod:`model.ngram_head`): 0 (none),
            1 (unigrams) or 2 (unigrams and the training texts' bigrams). (default: ``2``)
        ngram_weighting (str): The n-gram head's features: ``tfidf`` or ``nb`` (each n-gram's
            presence, its weights scaled by its naive-Bayes log-count ratios). (default: ``"tfidf"``)
    """

    embedding_dim: int = ClassifierConfig.embedding_dim
    hidden: int = 128
    layers: int = 1
    dropout: float = ClassifierConfig.dropout
    embedding_dropout: float = 0.2
    init_std: float = 0.1
    pooling: str = ClassifierConfig.pooling
    # The n-gram head lifted validation accuracy of the knowledge arm on MR (10%, 100%) and IMDB
    # (BENCHMARKS.md, selection table); it is part of every arm, the baseline's too.
    ngrams: int = 2
    ngram_weighting: str = ClassifierConfig.ngram_weighting

    def __post_init__(self) -> None:
        self.classifier_config(vocab_size=1, num_classes=1)

    def classifier_config(self, vocab_size: int, num_classes: int, pad_index: int = 0,
                          channel: dict | None = None, bigrams: int = 0) -> ClassifierConfig:
        """The :class:`~model.classifier.ClassifierConfig` for a vocabulary and label set (validated there).

        Args:
            vocab_size (int): Number of token ids.
            num_classes (int): Number of labels.
            pad_index (int): Id of the padding token. (default: ``0``)
            channel (dict, optional): The knowledge channel's
                :class:`~model.knowledge.channel.ChannelConfig` as a dict. (default: ``None``)
            bigrams (int): The training texts' distinct bigrams (the n-gram head's rows for them). (default: ``0``)
        """
        return ClassifierConfig(vocab_size=vocab_size, num_classes=num_classes, pad_index=pad_index,
                                channel=channel, ngram_bigrams=bigrams, **dataclasses.asdict(self))

    def to_dict(self) -> dict:
        """Plain dict form."""
        return _plain(self)


@dataclass(frozen=True)
class OptimOptions:
    """The ``[optim]`` part: optimization (:class:`model.train.TrainSettings` fields of the same names).

    Args:
        epochs (int): Maximum epochs (early stopping on validation). (default: ``10``)
        batch_size (int): Examples per step. (default: ``64``)
        lr (float): AdamW learning rate. (default: ``2e-3``)
        weight_decay (float): AdamW weight decay. (default: ``0.01``)
        clip (float): Gradient-norm clipping; 0 turns it off. (default: ``1.0``)
        patience (int): Epochs without validation improvement before stopping. (default: ``3``)
        monitor (str): ``macro_f1`` or ``accuracy``. (default: ``"macro_f1"``)
        class_weight (str): ``none`` or ``balanced`` loss weights. (default: ``"none"``)
        lr_schedule (str): ``cosine`` (warm-up, then cosine decay) or ``constant``. (default: ``"cosine"``)
        warmup (float): Share of the steps spent warming up. (default: ``0.05``)
        wide_first (bool): Fit the wide rows (n-gram head, knowledge bag) first as a regularized
            logistic regression chosen on validation, then train the BiLSTM beside them
            (:mod:`model.train.wide`); ``False`` trains them jointly with the BiLSTM. (default: ``True``)
    """

    epochs: int = 10
    batch_size: int = TrainSettings.batch_size
    lr: float = TrainSettings.lr
    weight_decay: float = TrainSettings.weight_decay
    clip: float = TrainSettings.clip
    patience: int = 3
    monitor: str = TrainSettings.monitor
    class_weight: str = TrainSettings.class_weight
    lr_schedule: str = "cosine"
    warmup: float = TrainSettings.warmup
    # Fitting the wide part first lifted validation (and test) accuracy of every arm on Ohsumed and MR
    # (BENCHMARKS.md); the jointly trained rows stop short of a regularized optimum.
    wide_first: bool = True

    def __post_init__(self) -> None:
        require_non_negative("optim", ("lr", "weight_decay", "clip", "warmup"), self)
        self.settings(seed=0)

    def settings(self, seed: int, channel_lr_scale: float = 1.0) -> TrainSettings:
        """The :class:`model.train.TrainSettings` of one seed (which validates the rest)."""
        return TrainSettings(**dataclasses.asdict(self), seed=seed, channel_lr_scale=channel_lr_scale)

    def to_dict(self) -> dict:
        """Plain dict form."""
        return _plain(self)


@dataclass(frozen=True)
class InjectionOptions:
    """The ``[knowledge]`` part: which graph knowledge a run injects, and how.

    Args:
        source (str, optional): Embedding run or embedded store; ``None`` trains without knowledge.
        baseline (bool): Ignore ``source``: the no-knowledge control. (default: ``False``)
        control (str): ``none`` or ``shuffled`` (entity vectors permuted). (default: ``"none"``)
        init (bool): Initialize linked tokens from entity vectors (ablation). (default: ``False``)
        reg_weight (float): Token regularizer weight (0: off; ablation). (default: ``0.0``)
        neighbour_weight (float): Weight of the graph-neighbour term inside the regularizer. (default: ``0.5``)
        projection (str): ``fixed`` (random orthogonal) or ``learned``. (default: ``"fixed"``)
        joint (bool): Train the KGE model jointly (needs ``reg_weight > 0``). (default: ``False``)
        joint_weight (float): Weight of the KGE loss. (default: ``0.1``)
        joint_batch (int): Triples per step for the KGE loss. (default: ``512``)
        max_entities_per_token (int): Cap on entities averaged for one token. (default: ``8``)
        max_entities_per_mention (int): Entity tokens inserted per multi-word mention; 0 inserts none,
            so a knowledge run reads the baseline's tokens (the channel still carries the mention's
            concepts on its words). (default: ``1``)

    The knowledge channel (``[channel]``) is the default knowledge path (it lifted most on
    validation data, BENCHMARKS.md); token-level init and regularizer are ablations, off
    unless asked for.
    """

    source: str | None = None
    baseline: bool = False
    control: str = "none"
    init: bool = False
    reg_weight: float = 0.0
    neighbour_weight: float = _K.neighbour_weight
    projection: str = _K.projection
    joint: bool = _K.joint
    joint_weight: float = _K.joint_weight
    joint_batch: int = _K.joint_batch
    max_entities_per_token: int = 8
    max_entities_per_mention: int = 1

    def __post_init__(self) -> None:
        require_choice(self.control, CONTROLS, "knowledge control")
        require_choice(self.projection, PROJECTION_MODES, "projection")
        require_at_least_one(self, ("joint_batch", "max_entities_per_token"))
        require_non_negative("knowledge", ("reg_weight", "neighbour_weight", "joint_weight",
                                           "max_entities_per_mention"), self)
        if self.enabled and self.joint and self.reg_weight == 0:
            raise ConfigError("--joint needs --reg-weight > 0",
                              hint="the regularizer is what couples token and entity embeddings")
        if not self.source and self.control != "none" and not self.baseline:
            raise ConfigError("--knowledge-control shuffled needs --knowledge")

    @property
    def enabled(self) -> bool:
        """Whether knowledge is injected (``source`` given and not ``baseline``)."""
        return bool(self.source) and not self.baseline

    def to_dict(self) -> dict:
        """Plain dict form."""
        return _plain(self)


@dataclass(frozen=True)
class EmbedOptions:
    """The ``[embed]`` part: the KGE run made when ``knowledge.source`` is a store.

    The fields are :class:`model.kge.KgeConfig`'s of the same names; device, seed and
    threads come from the run (:meth:`kge_config`).

    Args:
        model (str): KGE model. (default: ``"transe"``)
        dim (int): Embedding dimension. (default: ``64``)
        epochs (int): Epochs (validated once, at the end). (default: ``30``)
        batch_size (int): Triples per step. (default: ``1000``)
        num_negatives (int): Negatives per positive. (default: ``4``)
        negatives (str): ``uniform`` or ``typed`` (:mod:`model.kge.negatives`). (default: ``"typed"``)
        lr (float): Adam learning rate. (default: ``0.01``)
        loss (str, optional): The loss; ``None`` picks the model's default. (default: ``None``)
    """

    model: str = "transe"
    dim: int = 64
    epochs: int = 30
    batch_size: int = 1000
    num_negatives: int = 4
    negatives: str = "typed"
    lr: float = 0.01
    loss: str | None = None

    def __post_init__(self) -> None:
        self.kge_config()

    def kge_config(self, device: str = "auto", seed: int = 0, threads: int | None = None):
        """The :class:`model.kge.KgeConfig` of this run (validated there)."""
        from model.kge import KgeConfig

        return KgeConfig(**dataclasses.asdict(self), eval_every=self.epochs, device=device, seed=seed,
                         threads=threads)

    def to_dict(self) -> dict:
        """Plain dict form."""
        return _plain(self)


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
        return _plain(self)
