"""The KGE configuration (:class:`KgeConfig`, what ``kgft embed --config`` reads) and the model factory.

Per-model defaults follow the papers: TransE with the margin ranking loss,
RotatE with self-adversarial negative sampling, DistMult/ComplEx/R-GCN with
the logistic (softplus) loss; every default can be overridden.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from core.errors import ConfigError
from core.validation import require_at_least_one, require_choice
from model.kge.losses import LOSSES, REGULARIZERS

#: ``sparse=None`` turns lazy sparse updates on from this many entities (see :meth:`KgeConfig.resolved`) ...
SPARSE_MIN_ENTITIES = 10_000
#: ... when a step touches at most this share of the entity rows (``batch_size * (2 + num_negatives)``).
SPARSE_MAX_TOUCHED = 0.1

NEGATIVES = ("uniform", "typed")
MODELS = ("transe", "distmult", "complex", "rotate", "rgcn")
DEFAULT_LOSS = {
    "transe": "margin",
    "distmult": "softplus",
    "complex": "softplus",
    "rotate": "adversarial",
    "rgcn": "softplus",
}


@dataclass
class KgeConfig:
    """Everything that defines a KGE training run.

    Args:
        model (str): ``transe``, ``distmult``, ``complex``, ``rotate`` or ``rgcn``.
        dim (int): Embedding dimension (per real/imaginary part for complex models). (default: ``100``)
        epochs (int): Maximum epochs. (default: ``100``)
        batch_size (int): Positive triples per step. (default: ``1000``)
        lr (float): Adam learning rate. (default: ``0.01``)
        num_negatives (int): Negatives per positive, ``K``. (default: ``16``)
        loss (str, optional): ``margin``, ``softplus``, ``adversarial`` or ``1vsall``;
            ``None`` picks the model's default. (default: ``None``)
        negatives (str): ``uniform`` corruption, or ``typed``: half the replacements from the
            heads/tails the relation has in training (:mod:`model.kge.negatives`). (default: ``"uniform"``)
        margin (float): Ranking margin / ``gamma`` of distance models. (default: ``1.0``)
        adversarial_temperature (float): Self-adversarial ``alpha``. (default: ``1.0``)
        regularizer (str): ``none``, ``l2`` or ``n3``. (default: ``"none"``)
        reg_weight (float): Regularization weight. (default: ``0.0``)
        sparse (bool, optional): Sparse embedding gradients with row-wise lazy Adam;
            ``None`` decides per graph (:meth:`KgeConfig.resolved`): sparse for a
            sampled loss on a shallow model over at least :data:`SPARSE_MIN_ENTITIES`
            entities when a step touches at most :data:`SPARSE_MAX_TOUCHED` of them.
            (default: ``None``)
        p_norm (float): TransE distance norm. (default: ``1.0``)
        num_layers (int): R-GCN layers. (default: ``2``)
        num_bases (int): R-GCN basis matrices. (default: ``4``)
        dropout (float): R-GCN dropout. (default: ``0.2``)
        eval_every (int): Validate (and checkpoint) every N epochs. (default: ``10``)
        patience (int): Stop after this many validations without MRR gain; 0 disables. (default: ``5``)
        eval_batch_size (int): Queries scored at once in evaluation. (default: ``256``)
        seed (int): Seed of initialization and sampling. (default: ``0``)
        inverse (bool): Train with inverse relations. (default: ``False``)
        include_literals (bool): Literal edges (store graphs). (default: ``False``)
        device (str): ``auto``, ``cpu`` or ``cuda`` (:func:`model.train.distributed.resolve_device`).
            (default: ``"auto"``)
        threads (int, optional): ``torch.set_num_threads`` for CPU runs; ``None`` keeps
            torch's setting. (default: ``None``)

    A ``kgft embed --config FILE`` TOML file holds these fields as top-level keys.
    """

    model: str = "transe"
    dim: int = 100
    epochs: int = 100
    batch_size: int = 1000
    lr: float = 0.01
    num_negatives: int = 16
    loss: str | None = None
    negatives: str = "uniform"
    margin: float = 1.0
    adversarial_temperature: float = 1.0
    regularizer: str = "none"
    reg_weight: float = 0.0
    sparse: bool | None = None
    p_norm: float = 1.0
    num_layers: int = 2
    num_bases: int = 4
    dropout: float = 0.2
    eval_every: int = 10
    patience: int = 5
    eval_batch_size: int = 256
    seed: int = 0
    inverse: bool = False
    include_literals: bool = False
    device: str = "auto"
    threads: int | None = None

    def __post_init__(self) -> None:
        self.model = str(self.model).lower()
        require_choice(self.model, MODELS, "model")
        if self.loss is None:
            self.loss = DEFAULT_LOSS[self.model]
        require_choice(self.loss, LOSSES, "loss")
        require_choice(self.regularizer, REGULARIZERS, "regularizer")
        require_at_least_one(self, ("dim", "epochs", "batch_size", "num_negatives", "eval_every", "eval_batch_size",
                                    "num_layers"))
        if self.lr <= 0:
            raise ConfigError(f"learning rate must be positive, got {self.lr}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"threads must be at least 1, got {self.threads}")
        require_choice(self.negatives, NEGATIVES, "negative sampling")
        if self.negatives != "uniform" and self.loss == "1vsall":
            raise ConfigError("the 1vsall loss scores every entity: it samples no negatives",
                              hint="drop --negatives or choose a sampled loss")
        if self.sparse and (self.loss == "1vsall" or self.model == "rgcn"):
            raise ConfigError("sparse updates need a sampled loss on a shallow model",
                              hint="drop --sparse for rgcn or the 1vsall loss")

    def resolved(self, num_entities: int) -> "KgeConfig":
        """This config with ``sparse`` decided for a graph of ``num_entities`` entities.

        Lazy sparse updates touch only a batch's rows, which pays off once the
        table is large next to what one step touches; dense Adam is faster when a
        step touches a good share of the rows anyway (WN18RR with 16 negatives per
        triple, BENCHMARKS.md). An explicit ``sparse`` is kept.
        """
        if self.sparse is not None:
            return self
        shallow_sampled = self.loss != "1vsall" and self.model != "rgcn"
        touched = self.batch_size * (2 + self.num_negatives)
        return replace(self, sparse=shallow_sampled and num_entities >= SPARSE_MIN_ENTITIES
                       and touched <= SPARSE_MAX_TOUCHED * num_entities)

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "KgeConfig":
        """Build from a dict, ignoring keys that are not config fields."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def build_model(cfg: KgeConfig, num_entities: int, num_relations: int, edge_index=None, edge_type=None):
    """Instantiate the model of ``cfg`` (seeded by ``cfg.seed``).

    Args:
        cfg (KgeConfig): Configuration.
        num_entities (int): Entities.
        num_relations (int): Relations (inverse ones included).
        edge_index (Tensor, optional): Training edges, needed by ``rgcn``. (default: ``None``)
        edge_type (Tensor, optional): Their relation ids. (default: ``None``)
    """
    import torch

    from model.kge.scoring import ComplEx, DistMult, RotatE, TransE  # noqa: I001 - first: quiets PyG's import
    from model.kge.rgcn import RGCNDistMult

    torch.manual_seed(cfg.seed)
    if cfg.model == "transe":
        return TransE(num_entities, num_relations, cfg.dim, margin=cfg.margin, p_norm=cfg.p_norm, sparse=bool(cfg.sparse))
    if cfg.model == "distmult":
        return DistMult(num_entities, num_relations, cfg.dim, margin=cfg.margin, sparse=bool(cfg.sparse))
    if cfg.model == "complex":
        return ComplEx(num_entities, num_relations, cfg.dim, sparse=bool(cfg.sparse))
    if cfg.model == "rotate":
        return RotatE(num_entities, num_relations, cfg.dim, margin=cfg.margin, sparse=bool(cfg.sparse))
    if edge_index is None or edge_type is None:
        raise ConfigError("the rgcn model needs the training graph's edges")
    return RGCNDistMult(num_entities, num_relations, cfg.dim, edge_index, edge_type,
                        num_layers=cfg.num_layers, num_bases=cfg.num_bases, dropout=cfg.dropout)
