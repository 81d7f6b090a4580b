"""Shared pytest fixtures."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

# A shell starts a background job with Ctrl-C ignored, and the processes the tests start inherit
# that: the tests that interrupt a kgft process need Python's own SIGINT handling back.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


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
def one_torch_thread():
    """Run the test with ``torch.set_num_threads(1)``, restoring the old count after.

    Tiny models train fastest (and steadiest on shared CI cores) with one thread.
    Use it per module with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def runner():
    """A click CliRunner."""
    from click.testing import CliRunner

    return CliRunner()


def in_ci() -> bool:
    """Whether the tests run in CI (``CI`` set, as CI services do: ``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_unless_ci(reason: str) -> None:
    """Skip the test for a missing capability, but FAIL it in CI, where every real-data test must run."""
    if in_ci():
        pytest.fail(f"{reason}; CI is set, so this test must run (set KGFT_DATA_MIRROR)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The offline data mirror (KGFT_DATA_MIRROR); skips if none is configured, FAILS then in CI."""
    env = os.environ.get("KGFT_DATA_MIRROR")
    if not env or not Path(env).is_dir():
        skip_unless_ci("KGFT_DATA_MIRROR is not set: real datasets are unavailable on this machine")
    return Path(env)


@pytest.fixture(scope="session")
def neo4j_settings():
    """Connection settings of the running Neo4j server (NEO4J_URI/USERNAME/PASSWORD).

    FAILS (never skips) when the server cannot be reached: the real-Neo4j tests
    must run. ``make test`` starts the server; by hand: ``kgft neo4j start``.
    """
    from core.errors import Neo4jUnavailable
    from core.settings import Neo4jSettings

    settings = Neo4jSettings.from_env()
    if not settings.password:
        pytest.fail("NEO4J_PASSWORD is not set: export NEO4J_PASSWORD=kgft-dev-password "
                    "and run `kgft neo4j start` (or use `make test`)", pytrace=False)
    try:
        settings.driver().close()
    except Neo4jUnavailable as exc:
        pytest.fail(f"Neo4j is not reachable: {exc.user_message()}; run `kgft neo4j start` "
                    "(or use `make test`, which starts and stops it)", pytrace=False)
    return settings


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_settings):
    """A ``neo4j`` driver connected to the running server (closed after the session)."""
    driver = neo4j_settings.driver()
    yield driver
    driver.close()
