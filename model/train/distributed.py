"""DistributedDataParallel through ``torchrun``: the scale-out path.

``torchrun --nproc_per_node N kgft train ...`` (or ``kgft embed ...``) starts N processes with
``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``
set. kgft joins the process group (``nccl`` on CUDA, ``gloo`` on CPU), wraps
the model in ``DistributedDataParallel``, deals each epoch's shuffled examples
round-robin to the ranks, and lets only rank 0 write files.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    """This process's place in the job.

    Args:
        rank (int): Global rank. (default: ``0``)
        world_size (int): Processes. (default: ``1``)
        local_rank (int): Rank on this node. (default: ``0``)
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        """Whether several processes take part."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Whether this process writes files and logs."""
        return self.rank == 0

    def barrier(self) -> None:
        """Wait for every rank (no-op alone)."""
        if self.distributed and dist.is_initialized():
            dist.barrier()

    def main_decides(self, flag: bool, device: torch.device) -> bool:
        """Rank 0's ``flag`` on every rank (e.g. its early-stopping decision); ``flag`` itself alone."""
        if not self.distributed:
            return flag
        value = torch.tensor([int(flag)], device=device)
        dist.broadcast(value, src=0)
        return bool(value.item())

    def share(self, tensors: list[torch.Tensor]) -> None:
        """Overwrite ``tensors`` in place with rank 0's (no-op alone)."""
        if self.distributed:
            for tensor in tensors:
                dist.broadcast(tensor.data, src=0)

    def mean(self, value: float, device: torch.device) -> float:
        """The mean of ``value`` over the ranks (``value`` itself alone)."""
        if not self.distributed:
            return value
        total = torch.tensor([value], dtype=torch.float64, device=device)
        dist.all_reduce(total)
        return float(total.item()) / self.world_size


def init_distributed(device: torch.device) -> DistContext:
    """Join the process group when launched by ``torchrun`` (``WORLD_SIZE > 1``).

    Args:
        device (torch.device): The training device (selects ``nccl`` or ``gloo``).

    Returns:
        DistContext: Rank and world size (a single-process context otherwise).
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistContext()
    rank = int(os.environ["RANK"])
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, rank=rank, world_size=world)
    return DistContext(rank=rank, world_size=world, local_rank=local)


def shutdown_distributed() -> None:
    """Leave the process group if one was joined.

    Objects left in reference cycles (a trainer holding its ``DistributedDataParallel`` wrapper) are
    collected first: one destroyed after the group, at interpreter exit, can abort the process from
    Gloo's worker threads ("terminate called without an active exception").
    """
    if dist.is_available() and dist.is_initialized():
        gc.collect()
        dist.destroy_process_group()


def resolve_device(name: str, ctx: DistContext | None = None) -> torch.device:
    """``auto`` → CUDA when available (this rank's GPU under DDP), else CPU.

    Args:
        name (str): ``auto``, ``cpu`` or ``cuda`` (or ``cuda:N``).
        ctx (DistContext, optional): Picks ``cuda:LOCAL_RANK`` under DDP. (default: ``None``)

    Raises:
        ConfigError: ``cuda`` requested without a GPU, or an unknown name.
    """
    from core.errors import ConfigError

    local = int(os.environ.get("LOCAL_RANK", "0")) if ctx is None else ctx.local_rank
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError("--device cuda was requested but no CUDA GPU is available", hint="use --device cpu")
        return torch.device(name if ":" in name else f"cuda:{local}")
    if name != "cpu":
        raise ConfigError(f"unknown device {name!r}", hint="use auto, cpu or cuda")
    return torch.device("cpu")
