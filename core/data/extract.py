"""Safe, idempotent unpacking of tar and zip archives.

Every member is checked before anything is written: absolute paths, ``..``
components, links whose target leaves the destination, and device files are
refused with a :class:`~core.errors.DataError` naming the member. Unpacking
happens in a temporary directory next to the destination and is moved into
place only when complete; a marker file records the archive's checksum so a
second call is a no-op.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Iterable

from core.errors import DataError

log = logging.getLogger(__name__)

MARKER_SUFFIX = ".kgft-extracted"
_DRIVE = re.compile(r"^[A-Za-z]:")  # Windows drive-absolute names such as C:/x


def _check_name(archive: Path, name: str) -> str:
    """Normalize a member name; refuse absolute paths and ``..``."""
    if not name or "\x00" in name:
        raise DataError(f"refusing to extract {archive}: member with an empty or invalid name")
    unix = name.replace("\\", "/")
    if unix.startswith("/") or _DRIVE.match(unix):
        raise DataError(
            f"refusing to extract {archive}: member {name!r} has an absolute path",
            hint="the archive may be malicious; nothing was extracted",
        )
    norm = posixpath.normpath(unix)
    if norm == ".." or norm.startswith("../") or ".." in unix.split("/"):
        raise DataError(
            f"refusing to extract {archive}: member {name!r} escapes the target directory",
            hint="the archive may be malicious; nothing was extracted",
        )
    return norm


def _check_link(archive: Path, member: tarfile.TarInfo, norm: str) -> None:
    """Refuse symbolic or hard links whose target leaves the archive root."""
    target = member.linkname.replace("\\", "/")
    if member.issym():
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(norm), target))
    else:
        resolved = posixpath.normpath(target)
    if posixpath.isabs(target) or resolved == ".." or resolved.startswith("../"):
        kind = "symlink" if member.issym() else "hard link"
        raise DataError(
            f"refusing to extract {archive}: {kind} {member.name!r} points outside the target "
            f"({member.linkname!r})",
            hint="the archive may be malicious; nothing was extracted",
        )


def _excluded(name: str, exclude: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(name, pat) for pat in exclude)


def check_tar_members(archive: Path, tf: tarfile.TarFile, exclude: Iterable[str] = ()) -> list[tarfile.TarInfo]:
    """Validate every member of an open tar file.

    Args:
        archive (Path): The archive (for messages).
        tf (tarfile.TarFile): The open archive.
        exclude (Iterable[str]): ``fnmatch`` patterns of members to skip. (default: ``()``)

    Returns:
        list[tarfile.TarInfo]: The members to extract.

    Raises:
        DataError: an unsafe member.
    """
    keep = []
    exclude = tuple(exclude)
    for member in tf.getmembers():
        norm = _check_name(archive, member.name)
        if member.issym() or member.islnk():
            _check_link(archive, member, norm)
        elif not (member.isfile() or member.isdir()):
            raise DataError(
                f"refusing to extract {archive}: member {member.name!r} is a device, fifo or other special file"
            )
        if not _excluded(norm, exclude):
            keep.append(member)
    return keep


def check_zip_members(archive: Path, zf: zipfile.ZipFile, exclude: Iterable[str] = ()) -> list[zipfile.ZipInfo]:
    """Validate every member of an open zip file (see :func:`check_tar_members`)."""
    exclude = tuple(exclude)
    keep = []
    for info in zf.infolist():
        norm = _check_name(archive, info.filename)
        mode = (info.external_attr >> 16) & 0o170000
        if mode == 0o120000:
            raise DataError(f"refusing to extract {archive}: member {info.filename!r} is a symbolic link")
        if not _excluded(norm, exclude):
            keep.append(info)
    return keep


def _unpack(archive: Path, dest: Path, exclude: Iterable[str]) -> None:
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            members = check_tar_members(archive, tf, exclude)
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tf.extractall(dest, members=members, **kwargs)
    elif zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            members = check_zip_members(archive, zf, exclude)
            zf.extractall(dest, members=members)
    else:
        raise DataError(f"{archive} is not a tar or zip archive", hint="delete it and fetch again")


def marker_path(archive: Path, dest: Path) -> Path:
    """Where the "already extracted" marker of ``archive`` lives."""
    return dest / f".{archive.name}{MARKER_SUFFIX}"


def is_extracted(archive: Path, dest: Path, root: str | None, checksum: str) -> bool:
    """Whether ``archive`` (with this checksum) was already unpacked into ``dest``."""
    marker = marker_path(archive, dest)
    if not marker.is_file() or marker.read_text(encoding="utf-8").strip() != checksum:
        return False
    return root is None or (dest / root).is_dir()


def safe_extract(
    archive: str | os.PathLike,
    dest: str | os.PathLike,
    *,
    root: str | None = None,
    checksum: str = "",
    exclude: Iterable[str] = (),
) -> Path:
    """Unpack ``archive`` into ``dest`` once, refusing unsafe members.

    Args:
        archive (str or PathLike): A tar (any compression) or zip file.
        dest (str or PathLike): Directory to unpack into (created if missing).
        root (str, optional): The single top-level directory the archive must
            contain; it is what is returned. (default: ``None``: ``dest``)
        checksum (str): The archive's SHA-256, recorded in the marker so a
            different archive is unpacked again. (default: ``""``)
        exclude (Iterable[str]): ``fnmatch`` patterns of members to skip. (default: ``()``)

    Returns:
        Path: ``dest / root`` (or ``dest``).

    Raises:
        DataError: an unsafe member, a corrupt archive, or ``root`` missing.
    """
    archive, dest = Path(archive), Path(dest)
    result = dest / root if root else dest
    if is_extracted(archive, dest, root, checksum):
        return result
    dest.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{archive.name}.", suffix=".partial", dir=dest))
    try:
        try:
            _unpack(archive, tmp, exclude)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
            raise DataError(f"cannot extract {archive}: {exc}", hint="delete it and fetch again") from None
        if root:
            if not (tmp / root).is_dir():
                raise DataError(f"{archive} does not contain the expected directory {root}/")
            entries = [root]
        else:
            entries = sorted(os.listdir(tmp))
        for entry in entries:
            target = dest / entry
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
            os.replace(tmp / entry, target)
        marker_path(archive, dest).write_text(checksum + "\n", encoding="utf-8")
        log.info("extracted %s into %s", archive, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def read_member(archive: str | os.PathLike, member: str) -> bytes:
    """Read one member of a tar or zip archive without unpacking the rest.

    Args:
        archive (str or PathLike): The archive.
        member (str): The member's path inside it.

    Returns:
        bytes: Its content.

    Raises:
        DataError: not an archive, or no such member.
    """
    archive = Path(archive)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                return zf.read(member)
        if tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                handle = tf.extractfile(member)
                if handle is None:
                    raise KeyError(member)
                return handle.read()
    except KeyError:
        raise DataError(f"{archive} has no member {member}") from None
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"cannot read {member} from {archive}: {exc}") from None
    raise DataError(f"{archive} is not a tar or zip archive")
