"""Knowledge-graph embeddings with torch-geometric: models, training, filtered evaluation."""

from model.kge.checkpoint import CHECKPOINT_NAME, check_resumable, load_checkpoint, save_checkpoint
from model.kge.config import DEFAULT_LOSS, MODELS, KgeConfig, build_model
from model.kge.evaluation import EvalResult, evaluate, filtered_ranks, rank_metrics
from model.kge.filtering import FilterIndex
from model.kge.lazy_adam import LazyAdam
from model.kge.losses import LOSSES, REGULARIZERS, BatchLoss, batch_loss, regularization, sample_negatives, sampled_loss
from model.kge.trainer import Trainer, TrainResult

__all__ = [
    "CHECKPOINT_NAME", "check_resumable", "load_checkpoint", "save_checkpoint",
    "DEFAULT_LOSS", "MODELS", "KgeConfig", "build_model",
    "EvalResult", "evaluate", "filtered_ranks", "rank_metrics",
    "FilterIndex",
    "LazyAdam",
    "LOSSES", "REGULARIZERS", "BatchLoss", "batch_loss", "regularization", "sample_negatives", "sampled_loss",
    "Trainer", "TrainResult",
]
