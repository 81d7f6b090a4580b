"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Each test gets its own KGFT_HOME (the Neo4j server's home is kept)."""
    home = tmp_path_factory.mktemp("kgft_home")
    real_home = os.environ.get("KGFT_HOME")
    monkeypatch.setenv("KGFT_HOME", str(home))
    if real_home is not None:
        monkeypatch.setenv("KGFT_REAL_HOME", real_home)
    yield


@pytest.fixture
def runner():
    """A click CliRunner."""
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The offline data mirror (KGFT_DATA_MIRROR); skips only if none is configured."""
    env = os.environ.get("KGFT_DATA_MIRROR")
    if not env or not Path(env).is_dir():
        pytest.skip("KGFT_DATA_MIRROR is not set: real datasets are unavailable on this machine")
    return Path(env)
