"""Optimization settings of the training loop, and its learning-rate schedule."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import ConfigError
from core.validation import require_at_least_one, require_choice

MONITORS = ("macro_f1", "accuracy")
#: ``balanced`` weighs each class's loss by ``n / (classes * count)`` (sklearn's rule).
CLASS_WEIGHTS = ("none", "balanced")
#: Learning-rate schedules (a pure function of the step, so resuming needs no scheduler state).
LR_SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class TrainSettings:
    """Optimization settings.

    Args:
        epochs (int): Maximum epochs. (default: ``5``)
        batch_size (int): Examples per step (per process). (default: ``64``)
        lr (float): AdamW learning rate. (default: ``2e-3``)
        weight_decay (float): AdamW weight decay. (default: ``0.01``)
        clip (float): Gradient-norm clipping; 0 turns it off. (default: ``1.0``)
        patience (int): Epochs without validation improvement before stopping. (default: ``2``)
        monitor (str): ``macro_f1`` or ``accuracy``. (default: ``"macro_f1"``)
        seed (int): Seed of weights, dropout and batch order. (default: ``0``)
        eval_batch_size (int): Examples per evaluation batch. (default: ``256``)
        class_weight (str): ``none``, or ``balanced`` to weigh the loss of rare classes up
            (for imbalanced label sets such as Ohsumed's). (default: ``"none"``)
        lr_schedule (str): ``constant``, or ``cosine``: a linear warm-up over the first
            ``warmup`` share of the steps, then cosine decay to zero at the last epoch.
            (default: ``"constant"``)
        warmup (float): Share of all steps spent warming up (``cosine``). (default: ``0.05``)
        channel_lr_scale (float): Learning-rate multiplier of the knowledge channel's
            parameters (its concept vectors and the bag weights, a sparse linear model that
            plain steps move slowly). (default: ``1.0``)
        wide_first (bool): Fit the wide rows (n-gram head, channel bag) first as a regularized
            logistic regression and freeze them while the BiLSTM trains (:mod:`model.train.wide`).
            (default: ``False``)
    """

    epochs: int = 5
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.01
    clip: float = 1.0
    patience: int = 2
    monitor: str = "macro_f1"
    seed: int = 0
    eval_batch_size: int = 256
    class_weight: str = "none"
    lr_schedule: str = "constant"
    warmup: float = 0.05
    channel_lr_scale: float = 1.0
    wide_first: bool = False

    def __post_init__(self) -> None:
        require_choice(self.monitor, MONITORS, "monitor")
        require_choice(self.class_weight, CLASS_WEIGHTS, "class weight")
        require_choice(self.lr_schedule, LR_SCHEDULES, "lr schedule")
        require_at_least_one(self, ("epochs", "batch_size", "patience", "eval_batch_size"), dashed=False)
        if not math.isfinite(self.lr) or self.lr <= 0:
            raise ConfigError(f"lr must be a positive number, got {self.lr}")
        if not 0 <= self.warmup < 1:
            raise ConfigError(f"warmup must be in [0, 1), got {self.warmup}")
        if not math.isfinite(self.channel_lr_scale) or self.channel_lr_scale <= 0:
            raise ConfigError(f"channel lr scale must be positive, got {self.channel_lr_scale}")

    def lr_at(self, step: int, total: int) -> float:
        """Learning rate of global step ``step`` (0-based) out of ``total``."""
        if self.lr_schedule == "constant" or total <= 1:
            return self.lr
        warm = int(self.warmup * total)
        if step < warm:
            return self.lr * (step + 1) / warm
        progress_ = (step - warm) / max(total - warm, 1)
        return self.lr * 0.5 * (1.0 + math.cos(math.pi * min(progress_, 1.0)))
