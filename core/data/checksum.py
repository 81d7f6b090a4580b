"""SHA-256 of files, with a small sidecar so verified files are not re-hashed."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    """The hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(f".{path.name}.sha256")


def record_verified(path: str | os.PathLike, sha256: str) -> None:
    """Remember that ``path`` (as it is now: size and mtime) has this checksum."""
    path = Path(path)
    st = path.stat()
    info = {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    _sidecar(path).write_text(json.dumps(info), encoding="utf-8")


def verified_checksum(path: str | os.PathLike) -> str | None:
    """The recorded checksum of ``path`` if the file is unchanged since; else ``None``."""
    path = Path(path)
    side = _sidecar(path)
    try:
        info = json.loads(side.read_text(encoding="utf-8"))
        st = path.stat()
    except (OSError, ValueError):
        return None
    if info.get("size") == st.st_size and info.get("mtime_ns") == st.st_mtime_ns:
        return info.get("sha256")
    return None


def forget(path: str | os.PathLike) -> None:
    """Drop the sidecar of ``path`` (when the file is removed or quarantined)."""
    _sidecar(Path(path)).unlink(missing_ok=True)
