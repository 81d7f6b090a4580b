"""Getting registry datasets onto local disk: mirror or download, verify, unpack.

``fetch(name)`` puts every file of a dataset under ``core.settings.data_dir()``
at its registry path. With ``KGFT_DATA_MIRROR`` set the files are copied from
that directory and the network is never used; otherwise they are downloaded.
Each file is verified against the registry's SHA-256 before it is used; a file
that does not match is deleted and reported (:class:`~core.errors.ChecksumError`).
Archives are unpacked once, safely (:mod:`core.data.extract`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from core import settings
from core.data.checksum import forget, record_verified, sha256_file, verified_checksum
from core.data.download import download
from core.data.extract import is_extracted, read_member, safe_extract
from core.data.registry import DataFile, Dataset, get_dataset
from core.errors import ChecksumError, DataError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchedDataset:
    """Local copies of a dataset's files.

    Args:
        name (str): Registry name.
        files (dict[str, Path]): Registry path → local file.
        extracted (dict[str, Path]): Registry path of each archive → the
            directory it unpacked to.
        source (str): ``"mirror"``, ``"download"`` or ``"cache"`` (nothing to do).
    """

    name: str
    files: dict[str, Path]
    extracted: dict[str, Path] = field(default_factory=dict)
    source: str = "cache"

    @property
    def paths(self) -> list[Path]:
        """What a user works with: unpacked directories for archives, else the files."""
        return [self.extracted.get(key, path) for key, path in self.files.items()]

    def path(self, key: str) -> Path:
        """The local file (or unpacked directory) for a registry path or file name.

        Raises:
            DataError: no file of the dataset matches ``key``.
        """
        for reg, local in self.files.items():
            if key in (reg, Path(reg).name):
                return self.extracted.get(reg, local)
        raise DataError(f"dataset {self.name} has no file {key!r}; files: {', '.join(self.files)}")

    def to_dict(self) -> dict:
        """JSON-ready summary (for ``kgft data fetch --json``)."""
        return {
            "name": self.name,
            "source": self.source,
            "files": {k: str(v) for k, v in self.files.items()},
            "extracted": {k: str(v) for k, v in self.extracted.items()},
            "paths": [str(p) for p in self.paths],
        }


def _expected_text(f: DataFile) -> str:
    return " or ".join(f"{sha} ({what})" for sha, what in f.known_checksums().items())


def _mismatch_hint(f: DataFile, origin: str) -> str:
    hint = f"the file from {origin} was deleted and not used"
    if f.repack:
        hint += f"; note: {f.repack}"
    return hint + "; fix the mirror or fetch again"


@contextlib.contextmanager
def _lock(name: str):
    """Serialize fetches of one dataset across processes (POSIX advisory lock)."""
    root = settings.data_dir()
    root.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX platforms
        yield
        return
    with open(root / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _cached_checksum(f: DataFile, local: Path) -> str | None:
    """The checksum of a valid cached copy, or ``None`` (a bad copy is quarantined)."""
    if not local.is_file():
        return None
    known = f.known_checksums()
    sha = verified_checksum(local)
    if sha in known:
        return sha
    sha = sha256_file(local)
    if sha in known:
        record_verified(local, sha)
        return sha
    bad = local.with_name(local.name + ".corrupt")
    os.replace(local, bad)
    forget(local)
    log.warning("cached %s has sha256 %s, not %s; moved to %s", local, sha, _expected_text(f), bad)
    return None


def _incoming(f: DataFile, local: Path, mirror: Path | None) -> tuple[Path, str]:
    """Copy or download ``f`` to a temporary file next to ``local``."""
    local.parent.mkdir(parents=True, exist_ok=True)
    tmp = local.with_name(f".{local.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.incoming")
    tmp.touch(exist_ok=False)  # default permissions (umask), unlike mkstemp's 0600
    try:
        if mirror is not None:
            src = mirror / f.path
            if not src.is_file():
                raise DataError(
                    f"the data mirror {mirror} has no {f.path}",
                    hint="complete the mirror, or unset KGFT_DATA_MIRROR to download from upstream",
                )
            shutil.copyfile(src, tmp)
            return tmp, str(src)
        if f.url is None:
            local_copy = f" or give kgft a local {f.root}/ folder as the dataset path" if f.root else ""
            raise DataError(
                f"{f.path} cannot be downloaded: {f.repack or 'upstream has no single-file download'}",
                hint=f"set KGFT_DATA_MIRROR to an offline mirror that holds it{local_copy}",
            )
        if f.member:
            archive = tmp.with_name(tmp.name + ".archive")
            try:
                download(f.url, archive, what=f.path)
                tmp.write_bytes(read_member(archive, f.member))
            finally:
                archive.unlink(missing_ok=True)
            return tmp, f"{f.url} (member {f.member})"
        download(f.url, tmp, what=f.path)
        return tmp, f.url
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _ensure_file(f: DataFile, mirror: Path | None) -> tuple[Path, str, bool]:
    """Make a verified local copy of ``f``; return (path, checksum, fetched now)."""
    local = settings.data_dir() / f.path
    sha = _cached_checksum(f, local)
    if sha is not None:
        return local, sha, False
    tmp, origin = _incoming(f, local, mirror)
    sha = sha256_file(tmp)
    if sha not in f.known_checksums():
        tmp.unlink(missing_ok=True)
        raise ChecksumError(
            origin if mirror is not None else local,
            _expected_text(f),
            sha,
            hint=_mismatch_hint(f, origin),
        )
    os.replace(tmp, local)
    record_verified(local, sha)
    log.info("fetched %s from %s", f.path, origin)
    return local, sha, True


def fetch(name: str, *, extract: bool = True) -> FetchedDataset:
    """Make a registry dataset available locally and return its paths.

    Args:
        name (str): Registry name (see :func:`core.data.registry.dataset_names`).
        extract (bool): Unpack archives (once). (default: ``True``)

    Returns:
        FetchedDataset: Local files and unpacked directories.

    Raises:
        DataError: unknown name (lists choices), missing mirror file, download
            failure (suggests a mirror), unsafe or corrupt archive.
        ChecksumError: a copied or downloaded file does not match the registry.
    """
    dataset = get_dataset(name)
    mirror = settings.data_mirror()
    if mirror is not None and not mirror.is_dir():
        raise DataError(
            f"KGFT_DATA_MIRROR points to {mirror}, which is not a directory",
            hint="fix or unset KGFT_DATA_MIRROR",
        )
    files: dict[str, Path] = {}
    extracted: dict[str, Path] = {}
    fetched_any = False
    with _lock(dataset.name):
        for f in dataset.files:
            local, sha, fetched = _ensure_file(f, mirror)
            fetched_any = fetched_any or fetched
            files[f.path] = local
            if f.extract and extract:
                extracted[f.path] = safe_extract(
                    local, local.parent, root=f.root, checksum=sha, exclude=f.exclude
                )
    source = ("mirror" if mirror is not None else "download") if fetched_any else "cache"
    return FetchedDataset(dataset.name, files, extracted, source)


def cache_state(dataset: Dataset | str) -> str:
    """Whether a dataset is in the cache, without hashing anything.

    Args:
        dataset (Dataset or str): Registry entry or name.

    Returns:
        str: ``"yes"`` (all files verified, archives unpacked), ``"partial"`` or ``"no"``.
    """
    if isinstance(dataset, str):
        dataset = get_dataset(dataset)
    done = 0
    for f in dataset.files:
        local = settings.data_dir() / f.path
        sha = verified_checksum(local)
        if sha in f.known_checksums() and (
            not f.extract or is_extracted(local, local.parent, f.root, sha)
        ):
            done += 1
    if done == len(dataset.files):
        return "yes"
    return "partial" if done else "no"
