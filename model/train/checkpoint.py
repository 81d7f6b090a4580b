"""Training checkpoints: save atomically, load safely, refuse a mismatch.

A checkpoint holds the model and optimizer states, the epoch (and the batch
within it, for a Ctrl-C in mid-epoch), the RNG states, the early-stopping
state and three fingerprints: the vocabulary hash, the model configuration
and the knowledge fingerprint. Loading uses ``torch.load(weights_only=True)``;
a checkpoint whose fingerprints differ from the run's is refused with a clear
error before anything is written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import torch

from core.errors import ModelError
from core.fsutil import atomic_path

FORMAT = "kgft-train-checkpoint"
VERSION = 1


def vocab_hash(itos: Sequence[str]) -> str:
    """SHA-256 of a vocabulary's tokens in id order."""
    digest = hashlib.sha256()
    for tok in itos:
        digest.update(tok.encode("utf-8") + b"\n")
    return digest.hexdigest()


def rng_state() -> dict:
    """The torch RNG states (CPU, and CUDA when available)."""
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore states saved by :func:`rng_state`."""
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: Path, payload: dict) -> Path:
    """Write ``payload`` (plus format tags) atomically.

    Args:
        path (Path): Target file.
        payload (dict): Checkpoint content.

    Returns:
        Path: The file written.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, "version": VERSION, **payload}, tmp)
    return path


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint with ``weights_only=True``.

    Raises:
        ModelError: missing, unreadable or not a kgft training checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no checkpoint at {path}")
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file
        raise ModelError(f"cannot read checkpoint {path}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"{path} is not a kgft training checkpoint")
    if data.get("version") != VERSION:
        raise ModelError(f"{path} has checkpoint version {data.get('version')}, this kgft reads {VERSION}")
    return data


def check_compatible(data: dict, path: Path, vocab_sha: str, model_config: dict, knowledge: str) -> None:
    """Refuse a checkpoint made for another vocabulary, architecture or knowledge.

    Args:
        data (dict): The loaded checkpoint.
        path (Path): Its file (for the message).
        vocab_sha (str): This run's :func:`vocab_hash`.
        model_config (dict): This run's classifier configuration.
        knowledge (str): This run's knowledge fingerprint.

    Raises:
        ModelError: a fingerprint differs.
    """
    hint = "resume with the run's own data and settings, or train into a new --out directory"
    if data.get("vocab_hash") != vocab_sha:
        raise ModelError(f"checkpoint {path} was made with another vocabulary", hint=hint)
    if data.get("model_config") != model_config:
        diff = sorted(k for k in set(model_config) | set(data.get("model_config") or {})
                      if (data.get("model_config") or {}).get(k) != model_config.get(k))
        raise ModelError(f"checkpoint {path} is for another model (differs in: {', '.join(diff)})", hint=hint)
    if data.get("knowledge") != knowledge:
        raise ModelError(f"checkpoint {path} was made with other knowledge (entity vectors or links)", hint=hint)
