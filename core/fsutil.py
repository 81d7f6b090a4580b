"""Atomic file writes (a temporary sibling, then ``os.replace``) and JSON reads.

Readers never see a half-written file: the target either keeps its old
content or gets the complete new content. On error the temporary file is
removed and the exception propagates unchanged. A symbolic link is followed
(its target is replaced, the link stays), and an existing file that is not a
regular file (``/dev/stdout``, a device, a FIFO) is written in place, never
replaced. :func:`read_json` turns the ways a JSON file can be unreadable into
kgft's one-line errors.
"""

from __future__ import annotations

import json
import os
import re
import stat
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator

from core.errors import DataError, ParseError


def _temp_sibling(path: Path, suffix: str) -> Path:
    """A fresh, unused name next to ``path`` (hidden, unique per call)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{suffix}")


def fsync_path(path: Path) -> None:
    """Flush a file or a directory (its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_OWN_DESCRIPTOR = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")
_STANDARD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_PSEUDO = ("/dev/", "/proc/")


def _link_chain(path: Path) -> list[str]:
    """``path`` and every name its symbolic links lead through (absolute, at most 40 hops)."""
    chain = [os.path.abspath(path)]
    for _ in range(40):
        try:
            target = os.readlink(chain[-1])
        except OSError:  # not a link (or gone): the chain ends
            break
        chain.append(os.path.normpath(os.path.join(os.path.dirname(chain[-1]), target)))
    return chain


def is_special_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` must be written in place: an existing non-regular file, or a ``/dev`` or ``/proc`` name.

    ``/dev/stdout`` links to ``/proc/self/fd/1``, which may be a pipe, a
    terminal or the regular file the shell redirected to; none may be renamed
    over, nor a link that leads through such a name.
    """
    if any(name.startswith(_PSEUDO) for name in _link_chain(Path(path))):
        return True
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def open_in_place(path: str | os.PathLike) -> IO[bytes]:
    """Open a special file (:func:`is_special_file`) for binary writing, in place.

    A name that is or leads to ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``
    or ``/proc/self/fd/N`` is written through this process's own descriptor (a
    duplicate), so output lands where a shell redirection points, at its
    current offset; anything else (a device, a FIFO) is opened by name.
    """
    for name in _link_chain(Path(path)):
        match = _OWN_DESCRIPTOR.match(name)
        fd = _STANDARD.get(name, int(match.group(1)) if match else None)
        if fd is not None:
            return os.fdopen(os.dup(fd), "wb")
    return open(path, "wb")


@contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str = ".tmp", fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; move it onto ``path`` on success.

    Use this when a library writes the file by name (``torch.save``,
    ``fig.savefig``, ``pyoxigraph.serialize``). The parent directory is
    created if needed. A symbolic link's target is replaced; an existing
    non-regular file (device, FIFO) is yielded itself, to be written in place.

    Args:
        path (str or PathLike): The final file.
        suffix (str): End of the temporary name, default ``".tmp"``; pass e.g.
            ``".tmp.png"`` when the writer infers the format from the name.
        fsync (bool): Flush the file to disk before the rename. Default False.

    Yields:
        Path: The temporary file to write (in the same directory as ``path``).

    Raises:
        OSError: The directory cannot be created or the rename fails.
    """
    path = Path(path)
    if is_special_file(path):
        yield path
        return
    path = Path(os.path.realpath(path)) if path.is_symlink() else path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(path, suffix)
    try:
        yield tmp
        if fsync:
            fsync_path(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8",
                 *, fsync: bool = False) -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; replace ``path`` on success.

    Args:
        path (str or PathLike): The final file.
        mode (str): ``"w"`` (text, default) or ``"wb"`` (binary).
        encoding (str or None): Text encoding, default ``"utf-8"``; ignored in
            binary mode.
        fsync (bool): Flush the file to disk before the rename. Default False.

    Yields:
        IO: The open temporary file.

    Raises:
        ValueError: ``mode`` is not a write mode.
        OSError: The file cannot be written or renamed.
    """
    if mode not in ("w", "wb", "wt"):
        raise ValueError(f"atomic_write supports modes 'w', 'wt' and 'wb', got {mode!r}")
    with atomic_path(path) as tmp:
        kwargs = {} if "b" in mode else {"encoding": encoding}
        with open(tmp, mode, **kwargs) as handle:
            yield handle
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically.

    Args:
        path (str or PathLike): The final file (parents are created).
        text (str): Content.
        encoding (str): Text encoding, default ``"utf-8"``.

    Returns:
        Path: ``path``.
    """
    with atomic_write(path, "w", encoding) as handle:
        handle.write(text)
    return Path(path)


def write_json_atomic(path: str | os.PathLike, obj: Any, **json_kwargs: Any) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically.

    Args:
        path (str or PathLike): The final file (parents are created).
        obj (Any): A JSON-serializable value.
        **json_kwargs: Passed to :func:`json.dumps` (``indent``, ``default``,
            ``ensure_ascii``, ...).

    Returns:
        Path: ``path``.

    Raises:
        TypeError: ``obj`` is not serializable (the old file stays intact).
    """
    return write_text_atomic(path, json.dumps(obj, **json_kwargs))


def read_json(path: str | os.PathLike, what: str = "file") -> Any:
    """Parse the JSON file ``path``.

    Args:
        path (str or PathLike): The file.
        what (str): How error messages name the file, e.g. ``"vocabulary file"``.
            Default ``"file"``.

    Returns:
        Any: The parsed value.

    Raises:
        DataError: The file is missing or cannot be read/decoded as UTF-8.
        ParseError: The content is not valid JSON (with line and column).
    """
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {what} {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ParseError(path, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
