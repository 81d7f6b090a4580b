"""Training: batching, metrics, checkpoints, DDP and the loop."""

from model.train.batching import EncodedSplit, batch_order, collate
from model.train.checkpoint import check_compatible, load_checkpoint, save_checkpoint, vocab_hash
from model.train.distributed import DistContext, init_distributed, resolve_device, shutdown_distributed
from model.train.loop import BEST, CHECKPOINT, FitResult, Trainer, configure_cpu, predict, predict_proba
from model.train.settings import TrainSettings
from model.train.metrics import classification_metrics, confusion_matrix, summarize_seeds

__all__ = [
    "BEST",
    "CHECKPOINT",
    "DistContext",
    "EncodedSplit",
    "FitResult",
    "TrainSettings",
    "Trainer",
    "batch_order",
    "check_compatible",
    "classification_metrics",
    "collate",
    "configure_cpu",
    "confusion_matrix",
    "init_distributed",
    "load_checkpoint",
    "predict",
    "predict_proba",
    "resolve_device",
    "save_checkpoint",
    "shutdown_distributed",
    "summarize_seeds",
    "vocab_hash",
]
