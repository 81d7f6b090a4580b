"""One progress-bar helper for all of kgft, silenced by ``--quiet``."""

from __future__ import annotations

import os
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

_QUIET = False


def set_quiet(quiet: bool) -> None:
    """Silence (or restore) every progress bar in this process."""
    global _QUIET
    _QUIET = bool(quiet)


def is_quiet() -> bool:
    """Whether progress bars are silenced (``--quiet`` or ``KGFT_QUIET=1``)."""
    return _QUIET or os.environ.get("KGFT_QUIET", "") not in ("", "0")


def progress(iterable: Iterable[T] | None = None, **kwargs) -> Iterator[T]:
    """A ``tqdm`` progress bar that ``--quiet`` turns off.

    Args:
        iterable (Iterable, optional): What to iterate over. (default: ``None``)
        **kwargs: Passed to ``tqdm`` (``total``, ``desc``, ``unit``, ...).
    """
    from tqdm.auto import tqdm

    kwargs.setdefault("disable", is_quiet())
    kwargs.setdefault("dynamic_ncols", True)
    kwargs.setdefault("leave", False)
    return tqdm(iterable, **kwargs)
