"""The KGE training loop: vectorized batches, early stopping, checkpoints, resume.

Unlike PyG's ``KGTripletLoader`` loop, batches are slices of one on-device
permutation and all negatives of a batch come from one ``randint``, so the
per-step Python overhead is a handful of tensor ops. Validation MRR is
computed every ``eval_every`` epochs with the filtered evaluator; the best
model is kept and training stops after ``patience`` validations without
improvement. A checkpoint is written after every validation, so ``resume``
continues from the last one (each epoch's shuffle and negatives come from
generators seeded by ``(seed, epoch)``, so the result equals an uninterrupted
run).

Under ``torchrun`` (a :class:`model.train.distributed.DistContext` with several
ranks) the loss is wrapped in ``DistributedDataParallel``: every epoch's
shuffled triples are dealt round-robin to the ranks (the last
``n % world_size`` of the permutation sit the epoch out, so every rank takes
the same number of steps), each rank samples its own negatives, gradients are
averaged, and only rank 0 validates, keeps the best model and writes
checkpoints; its early-stopping decision is sent to the others.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from core.progress import progress
from model.kge.checkpoint import CHECKPOINT_NAME, save_checkpoint
from model.kge.config import KgeConfig
from model.kge.evaluation import evaluate
from model.kge.filtering import FilterIndex
from model.kge.lazy_adam import LazyAdam
from model.kge.losses import BatchLoss
from model.kge.negatives import RelationPools

if TYPE_CHECKING:
    from model.train.distributed import DistContext

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What a training run did.

    Args:
        epochs_run (int): Last epoch trained.
        best_epoch (int): Epoch of the best validation MRR (the kept model).
        best_valid_mrr (float): That MRR (``-1`` without validation data).
        curve (list[dict]): ``{"epoch", "loss", "mrr", "hits@10"}`` per validation.
        train_seconds (float): Time spent in training steps (this process).
        triples_per_second (float): Positive triples per second of training (all processes together).
        stopped_early (bool): Early stopping ended the run.
        resumed_from (int): Epoch of the checkpoint resumed from (0: fresh).
    """

    epochs_run: int = 0
    best_epoch: int = 0
    best_valid_mrr: float = -1.0
    curve: list = field(default_factory=list)
    train_seconds: float = 0.0
    triples_per_second: float = 0.0
    stopped_early: bool = False
    resumed_from: int = 0


def make_optimizer(model, cfg: KgeConfig):
    """Row-wise :class:`LazyAdam` for sparse embeddings, else Adam (fused when available)."""
    if cfg.sparse:
        return LazyAdam(list(model.parameters()), lr=cfg.lr)
    params = list(model.parameters())
    try:
        return torch.optim.Adam(params, lr=cfg.lr, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=cfg.lr)


def _state_to_cpu(state: dict) -> dict:
    return {k: v.detach().to("cpu", copy=True) for k, v in state.items()}


def _seeded(seed: int, epoch: int, stream: int, device) -> torch.Generator:
    """A generator for one ``(seed, epoch, stream)``: stream 0 shuffles, stream ``1 + rank`` samples negatives."""
    generator = torch.Generator(device=device)
    generator.manual_seed(int(np.random.SeedSequence([seed, epoch, stream]).generate_state(1)[0]))
    return generator


class Trainer:
    """Train one model on one graph.

    Args:
        model (KGEScorer): The model (already on ``device``).
        graph (KnowledgeGraph): Vocabularies and splits.
        cfg (KgeConfig): Hyper-parameters.
        device (torch.device): Where to train.
        run_dir (Path, optional): Where ``checkpoint.pt`` goes; ``None`` disables
            checkpoints. (default: ``None``)
        extra_state (dict, optional): Saved into every checkpoint (the run config,
            fingerprint). (default: ``None``)
        ctx (DistContext, optional): This process's rank under ``torchrun``; several ranks
            train with ``DistributedDataParallel``. (default: ``None``: one process)
    """

    def __init__(self, model, graph, cfg: KgeConfig, device, run_dir: Path | None = None,
                 extra_state: dict | None = None, ctx: DistContext | None = None) -> None:
        self.model = model
        self.graph = graph
        self.cfg = cfg
        self.device = torch.device(device)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.extra_state = dict(extra_state or {})
        self.train_triples = torch.from_numpy(graph.train).to(self.device)
        self.valid_triples = torch.from_numpy(graph.valid).to(self.device)
        self.test_triples = torch.from_numpy(graph.test).to(self.device)
        if ctx is None:
            from model.train.distributed import DistContext  # not at the top: model.train loads the classifier loop

            ctx = DistContext()
        self.ctx = ctx
        self.optimizer = make_optimizer(model, cfg)
        pools = (RelationPools(self.train_triples, graph.num_entities, graph.num_relations)
                 if cfg.negatives == "typed" else None)
        self.loss = BatchLoss(model, cfg, graph.num_entities, pools)
        if self.ctx.distributed:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.loss = DistributedDataParallel(self.loss, device_ids=ids)
        self.result = TrainResult()
        self.best_state: dict | None = None
        self.bad_evals = 0
        self.start_epoch = 0

    @cached_property
    def filter_index(self) -> FilterIndex:
        """Every known true triple, for filtered evaluation (built on first use: rank 0 only under DDP)."""
        known = torch.cat([self.train_triples, self.valid_triples, self.test_triples]).cpu()
        return FilterIndex(known, self.graph.num_relations).to(self.device)

    # -- checkpoints ---------------------------------------------------
    def checkpoint_path(self) -> Path | None:
        """``RUN_DIR/checkpoint.pt`` or ``None`` (no run directory, or not rank 0)."""
        return self.run_dir / CHECKPOINT_NAME if self.run_dir is not None and self.ctx.is_main else None

    def save(self, epoch: int) -> None:
        """Write the checkpoint for ``epoch`` (atomic)."""
        path = self.checkpoint_path()
        if path is None:
            return
        save_checkpoint(path, {
            **self.extra_state,
            "epoch": epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "best_model": self.best_state if self.best_state is not None else {},
            "best_epoch": self.result.best_epoch,
            "best_valid_mrr": self.result.best_valid_mrr,
            "bad_evals": self.bad_evals,
            "curve": self.result.curve,
            "rng": {"torch": torch.get_rng_state()},
        })

    def restore(self, checkpoint: dict) -> None:
        """Continue from a loaded checkpoint (model, optimizer, RNG, early stopping)."""
        self.model.load_state_dict(checkpoint["model"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.best_state = checkpoint["best_model"] or None
        self.result.best_epoch = int(checkpoint["best_epoch"])
        self.result.best_valid_mrr = float(checkpoint["best_valid_mrr"])
        self.result.curve = list(checkpoint["curve"])
        self.bad_evals = int(checkpoint["bad_evals"])
        torch.set_rng_state(checkpoint["rng"]["torch"])
        self.start_epoch = int(checkpoint["epoch"])
        self.result.resumed_from = self.start_epoch
        self.result.epochs_run = self.start_epoch
        logger.info("resuming from epoch %d", self.start_epoch)

    # -- training ------------------------------------------------------
    def shard(self, epoch: int) -> torch.Tensor:
        """Row ids of the training triples this rank trains on in ``epoch`` (all of them alone)."""
        n, world = self.train_triples.shape[0], self.ctx.world_size
        perm = torch.randperm(n, device=self.device, generator=_seeded(self.cfg.seed, epoch, 0, self.device))
        return perm[: n - n % world][self.ctx.rank::world]

    def step(self, batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """One optimization step on a ``[B, 3]`` batch; returns the (detached) loss."""
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss(batch, generator)
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def train_epoch(self, epoch: int) -> float:
        """One pass over this rank's shuffled share of the training triples; returns the mean loss (all ranks)."""
        self.model.train()
        rows = self.shard(epoch)
        negatives = _seeded(self.cfg.seed, epoch, 1 + self.ctx.rank, self.device)
        total = torch.zeros((), device=self.device)
        steps = 0
        for start in range(0, rows.numel(), self.cfg.batch_size):
            total += self.step(self.train_triples[rows[start:start + self.cfg.batch_size]], negatives)
            steps += 1
        return self.ctx.mean(float(total) / max(steps, 1), self.device)

    def validate(self, epoch: int, loss: float) -> bool:
        """Validation MRR, best-model bookkeeping, checkpoint; returns ``True`` to stop."""
        if self.valid_triples.numel():
            res = evaluate(self.model, self.valid_triples, self.filter_index, self.cfg.eval_batch_size,
                           train=self.train_triples)
            mrr = res.metrics["mrr"]
            self.result.curve.append({"epoch": epoch, "loss": loss, "mrr": mrr, "hits@10": res.metrics["hits@10"]})
            if mrr > self.result.best_valid_mrr:
                self.result.best_valid_mrr = mrr
                self.result.best_epoch = epoch
                self.best_state = _state_to_cpu(self.model.state_dict())
                self.bad_evals = 0
            else:
                self.bad_evals += 1
            logger.info("epoch %d: loss %.4f, valid mrr %.4f", epoch, loss, mrr)
        else:
            self.result.curve.append({"epoch": epoch, "loss": loss})
            self.result.best_epoch = epoch
            self.best_state = _state_to_cpu(self.model.state_dict())
        self.save(epoch)
        return bool(self.cfg.patience) and self.bad_evals >= self.cfg.patience

    def fit(self) -> TrainResult:
        """Train from ``start_epoch + 1`` to ``cfg.epochs``; keep the best validated model."""
        cfg = self.cfg
        n = self.train_triples.shape[0]
        epochs = range(self.start_epoch + 1, cfg.epochs + 1)
        bar = progress(epochs, desc=f"embed {cfg.model}", unit="epoch", total=max(cfg.epochs - self.start_epoch, 0)) \
            if self.ctx.is_main else epochs
        trained = 0
        for epoch in bar:
            began = time.perf_counter()
            loss = self.train_epoch(epoch)
            self.result.train_seconds += time.perf_counter() - began
            trained += n - n % self.ctx.world_size
            self.result.epochs_run = epoch
            speed = trained / max(self.result.train_seconds, 1e-9)
            postfix = {"loss": f"{loss:.4f}", "triples/s": f"{speed:,.0f}"}
            stop = False
            if epoch % cfg.eval_every == 0 or epoch == cfg.epochs:
                stop = self.ctx.main_decides(self.validate(epoch, loss) if self.ctx.is_main else False, self.device)
                if self.result.curve and "mrr" in self.result.curve[-1]:
                    postfix["valid_mrr"] = f"{self.result.curve[-1]['mrr']:.4f}"
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(postfix)
            if stop:
                self.result.stopped_early = True
                logger.info("early stop at epoch %d (best %d)", epoch, self.result.best_epoch)
                break
        self.result.triples_per_second = trained / max(self.result.train_seconds, 1e-9) if trained else 0.0
        if self.best_state is not None:
            self.model.load_state_dict(copy.deepcopy(self.best_state))
        return self.result

    def test(self):
        """Filtered metrics of the (best) model on the test split (``EvalResult``)."""
        return evaluate(self.model, self.test_triples, self.filter_index, self.cfg.eval_batch_size,
                        train=self.train_triples)
