"""The installed kgft version, as recorded in run files and printed by ``kgft --version``."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def kgft_version() -> str:
    """The installed kgft version (``0.1.0+src`` when running from a source tree without install)."""
    try:
        return version("kgft")
    except PackageNotFoundError:
        return "0.1.0+src"
