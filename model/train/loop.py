"""The training loop: AdamW, clipping, early stopping, checkpoints, resume, Ctrl-C.

One :class:`Trainer` trains one model (one seed) into one directory:

* ``checkpoint.pt`` after every epoch (and on Ctrl-C, mid-epoch): model,
  optimizer, RNG states, early-stopping state, fingerprints;
* ``best.pt``: the classifier weights of the best validation epoch.

AdamW is torch's fused implementation (one pass over each parameter per step,
on CPU as on CUDA). Batch orders are a pure function of ``(seed, epoch)`` and
the RNG states are restored on resume, so on CPU an interrupted and resumed run
ends with the same weights and metrics as an uninterrupted one.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from core.progress import progress
from model.knowledge.augmented import KnowledgeAugmentedClassifier
from model.train.batching import EncodedSplit, batch_order, collate
from model.train.checkpoint import (
    check_compatible,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from model.train.distributed import DistContext
from model.train.metrics import classification_metrics
from model.train.settings import TrainSettings
from model.train.wide import fit_wide, freeze_wide, wide_parameters

logger = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
BEST = "best.pt"


def configure_cpu() -> None:
    """Process-wide CPU settings for training: flush denormal floats to zero.

    Without it, the backward pass through the LSTM's final hidden state fills
    with denormal floats on long sequences and a step slows down many times on
    x86 CPUs (``bench/train_denormal.py`` measures it; BENCHMARKS.md).
    """
    torch.set_flush_denormal(True)


@dataclass
class FitResult:
    """What :meth:`Trainer.fit` did.

    Args:
        history (list[dict]): Per epoch: loss, aux loss, validation metrics, seconds, tokens/s.
        best_epoch (int): Epoch of the best validation score.
        best_score (float): That score.
        epochs_run (int): Epochs completed.
        stopped_early (bool): Whether patience ran out.
        wide (dict, optional): The wide part's fit (:class:`~model.train.wide.WideFit`), when fitted
            first; its linear model is epoch 0.
    """

    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = -math.inf
    epochs_run: int = 0
    stopped_early: bool = False
    wide: dict | None = None

    def to_dict(self) -> dict:
        """Plain dict form."""
        return asdict(self)


def _class_weights(split: EncodedSplit, num_classes: int, mode: str, device) -> torch.Tensor | None:
    """Per-class loss weights ``n / (classes * count)`` for ``balanced`` (absent classes get 0), else ``None``."""
    if mode == "none":
        return None
    counts = torch.bincount(torch.as_tensor(list(split.labels), dtype=torch.int64), minlength=num_classes).double()
    weights = torch.where(counts > 0, counts.sum() / (num_classes * counts.clamp_min(1)), torch.zeros_like(counts))
    return weights.float().to(device)


def _param_groups(model: KnowledgeAugmentedClassifier, settings: TrainSettings) -> list[dict]:
    """The optimizer's parameter groups: the knowledge channel's (scaled learning rate), then the rest."""
    channel = model.classifier.channel
    own = {id(p) for p in channel.parameters()} if channel is not None else set()
    rest = [p for p in model.parameters() if p.requires_grad and id(p) not in own]
    groups = [{"params": rest, "scale": 1.0}]
    if own:
        groups.append({"params": [p for p in channel.parameters() if p.requires_grad],
                       "lr": settings.lr * settings.channel_lr_scale, "scale": settings.channel_lr_scale})
    return groups


class Trainer:
    """Train one :class:`KnowledgeAugmentedClassifier` into ``out_dir``.

    Args:
        model (KnowledgeAugmentedClassifier): The model (already on ``device``).
        train (EncodedSplit): Training data.
        valid (EncodedSplit): Validation data (early stopping).
        labels (Sequence[str]): Class names.
        settings (TrainSettings): Optimization settings.
        out_dir (Path): Where checkpoints go.
        device (torch.device): Training device.
        fingerprints (dict): ``vocab_hash``, ``model_config``, ``knowledge`` (see
            :func:`model.train.checkpoint.check_compatible`).
        ctx (DistContext, optional): DDP context. (default: single process)
        on_epoch_end (Callable[[int, dict], None], optional): Called after each
            epoch's checkpoint with ``(epoch, record)``. (default: ``None``)
        on_step_end (Callable[[int, int], None], optional): Called after each step
            with ``(epoch, step)``. (default: ``None``)
    """

    def __init__(
        self,
        model: KnowledgeAugmentedClassifier,
        train: EncodedSplit,
        valid: EncodedSplit,
        labels: Sequence[str],
        settings: TrainSettings,
        out_dir: Path,
        device: torch.device,
        fingerprints: dict,
        ctx: DistContext | None = None,
        on_epoch_end: Callable[[int, dict], None] | None = None,
        on_step_end: Callable[[int, int], None] | None = None,
    ) -> None:
        configure_cpu()
        self.model = model
        self.train_split = train
        self.valid_split = valid
        self.labels = list(labels)
        self.settings = settings
        self.out_dir = Path(out_dir)
        self.device = device
        self.fingerprints = fingerprints
        self.ctx = ctx or DistContext()
        self.on_epoch_end = on_epoch_end
        self.on_step_end = on_step_end
        self.pad_index = model.classifier.config.pad_index
        self.class_weights = _class_weights(train, len(self.labels), settings.class_weight, device)
        self.wide_first = settings.wide_first and freeze_wide(model.classifier)
        self.wide_logits: torch.Tensor | None = None  # out-of-fold wide logits of the training examples
        self.optimizer = torch.optim.AdamW(_param_groups(model, settings), lr=settings.lr,
                                           weight_decay=settings.weight_decay, fused=True)
        if self.ctx.distributed:
            find_unused = model.joint is not None or (model.projection is not None and model.projection.linear is not None)
            ids = [device.index] if device.type == "cuda" else None
            self.net = DistributedDataParallel(model, device_ids=ids, find_unused_parameters=find_unused)
        else:
            self.net = model
        self.state = FitResult()
        self.finished = False
        self._epoch = 1
        self._step = 0

    # ------------------------------------------------------------ checkpoints
    def _payload(self) -> dict:
        return {
            "epoch": self._epoch,
            "step_in_epoch": self._step,
            "finished": self.finished,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": rng_state(),
            "trainer": self.state.to_dict(),
            "wide_logits": self.wide_logits,
            **self.fingerprints,
        }

    def save(self) -> None:
        """Write ``checkpoint.pt`` (rank 0 only)."""
        if self.ctx.is_main:
            save_checkpoint(self.out_dir / CHECKPOINT, self._payload())

    def _save_best(self, epoch: int) -> None:
        if self.ctx.is_main:
            save_checkpoint(self.out_dir / BEST, {
                "epoch": epoch,
                "classifier": self.model.classifier.state_dict(),
                "labels": self.labels,
                **self.fingerprints,
            })

    def restore(self) -> bool:
        """Load ``checkpoint.pt`` if there is one; returns whether it did.

        Raises:
            ModelError: the checkpoint belongs to another vocabulary, model or knowledge.
        """
        path = self.out_dir / CHECKPOINT
        if not path.is_file():
            return False
        data = load_checkpoint(path, map_location=self.device)
        check_compatible(data, path, self.fingerprints["vocab_hash"], self.fingerprints["model_config"],
                         self.fingerprints["knowledge"])
        self.model.load_state_dict(data["model"])
        self.optimizer.load_state_dict(data["optimizer"])
        set_rng_state({k: (v.cpu() if isinstance(v, torch.Tensor) else [t.cpu() for t in v])
                       for k, v in data["rng"].items()})
        self.state = FitResult(**data["trainer"])
        self.wide_logits = data.get("wide_logits")
        self._epoch, self._step, self.finished = int(data["epoch"]), int(data["step_in_epoch"]), bool(data["finished"])
        logger.info("resumed from %s at epoch %d step %d", path, self._epoch, self._step)
        return True

    # ------------------------------------------------------------ training
    def _train_epoch(self, epoch: int) -> dict:
        s = self.settings
        batches = batch_order(len(self.train_split), s.batch_size, s.seed, epoch, True,
                              self.ctx.rank, self.ctx.world_size)
        self.net.train()
        total, total_aux, seen, tokens = 0.0, 0.0, 0, 0
        start = time.perf_counter()
        bar = progress(batches[self._step:], desc=f"epoch {epoch}", unit="batch") \
            if self.ctx.is_main else batches[self._step:]
        for indices in bar:
            toks, lengths, y, channel = collate(self.train_split, indices, self.pad_index)
            toks, y = toks.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            channel = channel.to(self.device) if channel is not None else None
            wide = self.wide_logits[indices].to(self.device) if self.wide_logits is not None else None
            with autocast_for(self.device):
                logits, aux = self.net(toks, lengths, channel, wide)
                loss = F.cross_entropy(logits.float(), y, weight=self.class_weights)
            lr = s.lr_at((epoch - 1) * len(batches) + self._step, s.epochs * len(batches))
            for group in self.optimizer.param_groups:
                group["lr"] = lr * group["scale"]
            self.optimizer.zero_grad(set_to_none=True)
            (loss + aux).backward()
            if s.clip > 0:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), s.clip)
            self.optimizer.step()
            total += loss.detach().item() * len(indices)
            total_aux += aux.detach().item() * len(indices)
            seen += len(indices)
            tokens += int(lengths.sum())
            self._step += 1
            if self.on_step_end is not None:
                self.on_step_end(epoch, self._step)
        seconds = time.perf_counter() - start
        return {"epoch": epoch, "loss": total / max(seen, 1), "aux_loss": total_aux / max(seen, 1),
                "seconds": seconds, "tokens_per_s": tokens / seconds if seconds > 0 else 0.0}

    def fit(self, resume: bool = False) -> FitResult:
        """Train until ``epochs`` or early stopping; leaves the best weights loaded.

        Args:
            resume (bool): Continue from ``checkpoint.pt`` when it exists. (default: ``False``)

        Returns:
            FitResult: History and best epoch.

        Raises:
            KeyboardInterrupt: after saving a checkpoint, when interrupted.
        """
        if not (resume and self.restore()):
            torch.manual_seed(self.settings.seed)
            if self.wide_first:
                self._fit_wide()
        try:
            while not self.finished and self._epoch <= self.settings.epochs:
                record = self._train_epoch(self._epoch)
                record.update({f"valid_{k}": v for k, v in self.evaluate(self.valid_split).items()
                               if k in ("accuracy", "macro_f1")})
                self._end_epoch(record)
        except KeyboardInterrupt:
            logger.warning("interrupted: saving a checkpoint at epoch %d step %d", self._epoch, self._step)
            self.save()
            raise
        self.load_best()
        return self.state

    def _fit_wide(self) -> None:
        """Fit the wide rows first (:func:`~model.train.wide.fit_wide`); the linear model is epoch 0.

        The BiLSTM then trains beside the training examples' out-of-fold wide logits (a fit
        that saw an example would leave the BiLSTM almost nothing to learn from it).
        """
        classifier = self.model.classifier
        fit, self.wide_logits = fit_wide(classifier, self.train_split, self.valid_split, self.labels,
                                         self.settings.monitor, self.device, self.class_weights, self.settings.seed)
        self.ctx.share(wide_parameters(classifier) + list(classifier.head.parameters()))
        self.state.wide = fit.to_dict()
        self.state.best_score = fit.valid_score  # the classifier's own score now (its head adds nothing yet)
        self._save_best(0)
        logger.info("wide part fitted first (l2 %g, bag ratio %s, %.1fs): valid %s %.4f", fit.l2, fit.bag_ratio,
                    fit.seconds, self.settings.monitor, self.state.best_score)

    def _end_epoch(self, record: dict) -> None:
        epoch = self._epoch
        st = self.state
        st.history.append(record)
        st.epochs_run = epoch
        score = record[f"valid_{self.settings.monitor}"]
        if score > st.best_score:
            st.best_score, st.best_epoch = score, epoch
            self._save_best(epoch)
        elif epoch - st.best_epoch >= self.settings.patience:
            st.stopped_early = True
        logger.info("epoch %d: loss %.4f valid %s %.4f (%.1fs, %.0f tokens/s)", epoch, record["loss"],
                    self.settings.monitor, score, record["seconds"], record["tokens_per_s"])
        self._epoch, self._step = epoch + 1, 0
        self.finished = st.stopped_early or epoch >= self.settings.epochs
        self.save()
        self.ctx.barrier()
        if self.on_epoch_end is not None:
            self.on_epoch_end(epoch, record)

    def load_best(self) -> None:
        """Load ``best.pt``'s classifier weights (when one was saved)."""
        self.ctx.barrier()
        path = self.out_dir / BEST
        if path.is_file():
            data = load_checkpoint(path, map_location=self.device)
            self.model.classifier.load_state_dict(data["classifier"])

    # ------------------------------------------------------------ evaluation
    @torch.no_grad()
    def predict(self, split: EncodedSplit) -> list[int]:
        """Predicted label ids for ``split`` (evaluation mode, batches by length)."""
        return predict(self.model.classifier, split, self.device, self.settings.eval_batch_size)

    def evaluate(self, split: EncodedSplit) -> dict:
        """:func:`~model.train.metrics.classification_metrics` on ``split``."""
        return classification_metrics(split.labels, self.predict(split), self.labels)


@torch.no_grad()
def predict(classifier: torch.nn.Module, split: EncodedSplit, device: torch.device, batch_size: int = 256) -> list[int]:
    """Predicted label ids (one per example, in the split's order): the most probable class of
    :func:`predict_proba`, which takes the same arguments."""
    return predict_proba(classifier, split, device, batch_size).argmax(dim=-1).tolist()


@torch.no_grad()
def predict_proba(classifier: torch.nn.Module, split: EncodedSplit, device: torch.device,
                  batch_size: int = 256) -> torch.Tensor:
    """Class probabilities, computed in evaluation mode in length-sorted batches.

    Args:
        classifier (nn.Module): A :class:`~model.classifier.BiLSTMClassifier`.
        split (EncodedSplit): The data.
        device (torch.device): Where to run.
        batch_size (int): Examples per batch. (default: ``256``)

    Returns:
        Tensor: ``[examples, classes]`` probabilities (CPU), in the split's order.
    """
    was_training = classifier.training
    classifier.eval()
    order = sorted(range(len(split)), key=lambda i: len(split.ids[i]))
    out = [0] * len(split)
    pad = classifier.config.pad_index
    for i in range(0, len(order), batch_size):
        idx = order[i : i + batch_size]
        toks, lengths, _, channel = collate(split, idx, pad)
        with autocast_for(device):
            logits = classifier(toks.to(device), lengths, channel.to(device) if channel is not None else None)
        for j, p in zip(idx, torch.softmax(logits.float(), dim=-1).cpu()):
            out[j] = p
    classifier.train(was_training)
    return torch.stack(out) if out else torch.zeros(0, classifier.config.num_classes)


def autocast_for(device: torch.device):
    """bf16 autocast on CUDA; a disabled context on CPU (the one autocast rule of training and inference)."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)
