"""Training checkpoints: save atomically, load safely, refuse a mismatched resume.

A checkpoint is a plain dict of tensors and primitives written with
``torch.save`` and read with ``torch.load(..., weights_only=True)`` (no
pickled code runs). It holds the model and optimizer state dicts, the best
model so far, the epoch, the early-stopping state, the validation curve, the
RNG states and the run's config plus the vocabulary fingerprint.
"""

from __future__ import annotations

from pathlib import Path

import torch

from core.errors import ModelError
from core.fsutil import atomic_path

CHECKPOINT_NAME = "checkpoint.pt"
FORMAT_VERSION = 1
# Config keys that must be equal for --resume to make sense.
RESUME_KEYS = ("model", "dim", "num_entities", "num_relations", "inverse", "include_literals", "p_norm",
               "num_layers", "num_bases", "sparse")


def save_checkpoint(path: Path | str, payload: dict) -> None:
    """Write ``payload`` to ``path`` via a temporary file and an atomic rename."""
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT_VERSION, **payload}, tmp)


def load_checkpoint(path: Path | str, map_location="cpu") -> dict:
    """Load a checkpoint with ``weights_only=True``.

    Raises:
        ModelError: The file is missing, unreadable or not a kgft checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no checkpoint at {path}", hint="train first, or drop --resume")
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - re-raised as a user-facing error
        raise ModelError(f"cannot read checkpoint {path}: {exc}", hint="the file may be truncated") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise ModelError(f"{path} is not a kgft embedding checkpoint (format {FORMAT_VERSION})")
    return data


def check_resumable(checkpoint: dict, config: dict, fingerprint: str, path: Path | str = "") -> None:
    """Raise if a checkpoint belongs to another graph or model than ``config``.

    Args:
        checkpoint (dict): Loaded checkpoint.
        config (dict): The new run's config.
        fingerprint (str): The new graph's vocabulary fingerprint.
        path (Path or str): Checkpoint path, for the message. (default: ``""``)

    Raises:
        ModelError: The vocabulary or a model setting differs.
    """
    old = checkpoint.get("config", {})
    if checkpoint.get("fingerprint") != fingerprint:
        raise ModelError(
            f"cannot resume {path}: the graph's entity/relation vocabulary differs from the checkpoint's "
            f"({old.get('num_entities')} entities, {old.get('num_relations')} relations before; "
            f"{config.get('num_entities')}, {config.get('num_relations')} now)",
            hint="resume with the same graph and options, or train into a new --out directory",
        )
    for key in RESUME_KEYS:
        if old.get(key) != config.get(key):
            raise ModelError(
                f"cannot resume {path}: {key} was {old.get(key)!r}, now {config.get(key)!r}",
                hint="resume with the same model settings, or train into a new --out directory",
            )
