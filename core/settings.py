"""Where kgft keeps its files and how it reaches Neo4j.

All locations derive from ``KGFT_HOME`` (default: the platform's user cache
directory for ``kgft``). Neo4j connection settings come from the usual
``NEO4J_URI``, ``NEO4J_USERNAME`` and ``NEO4J_PASSWORD`` variables everywhere
in kgft; the password is never logged or shown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BOLT_PORT = 7687
DEFAULT_NEO4J_URI = f"bolt://127.0.0.1:{DEFAULT_BOLT_PORT}"
DEFAULT_NEO4J_USERNAME = "neo4j"


def kgft_home() -> Path:
    """The root of kgft's cache: ``$KGFT_HOME`` or the platform cache dir."""
    env = os.environ.get("KGFT_HOME")
    if env:
        return Path(env).expanduser().resolve()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("kgft", appauthor=False))


def data_dir() -> Path:
    """Where fetched datasets and ontologies land."""
    return kgft_home() / "data"


def neo4j_home() -> Path:
    """Where the local Neo4j server keeps its configuration, data and logs."""
    return kgft_home() / "neo4j"


def neo4j_bolt_port() -> int:
    """The local Neo4j server's Bolt port: ``$KGFT_NEO4J_PORT`` or 7687.

    Raises:
        ConfigError: ``KGFT_NEO4J_PORT`` is not a port number.
    """
    env = os.environ.get("KGFT_NEO4J_PORT")
    if not env:
        return DEFAULT_BOLT_PORT
    try:
        port = int(env)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        from core.errors import ConfigError

        raise ConfigError(f"KGFT_NEO4J_PORT={env!r} is not a port number (1-65535)")
    return port


def default_store_dir() -> Path:
    """The embedded rdflib store used when ``--store`` is not given."""
    return kgft_home() / "store"


def data_mirror() -> Path | None:
    """The offline mirror directory from ``$KGFT_DATA_MIRROR``, if set."""
    env = os.environ.get("KGFT_DATA_MIRROR")
    return Path(env).expanduser().resolve() if env else None


@dataclass(frozen=True)
class Neo4jSettings:
    """Connection settings for a Neo4j server.

    Args:
        uri (str): Bolt URI. (default: ``bolt://127.0.0.1:7687``)
        username (str): User name. (default: ``"neo4j"``)
        password (str, optional): Password; never shown in ``repr``. (default: ``None``)
        database (str, optional): Database name; ``None`` is the server default.
    """

    uri: str = DEFAULT_NEO4J_URI
    username: str = DEFAULT_NEO4J_USERNAME
    password: str | None = field(default=None, repr=False)
    database: str | None = None

    @classmethod
    def from_env(cls) -> "Neo4jSettings":
        """Read ``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``.

        Without ``NEO4J_URI`` the URI is the local server's:
        ``bolt://127.0.0.1:$KGFT_NEO4J_PORT`` (port 7687 by default).
        """
        return cls(
            uri=os.environ.get("NEO4J_URI") or f"bolt://127.0.0.1:{neo4j_bolt_port()}",
            username=os.environ.get("NEO4J_USERNAME", DEFAULT_NEO4J_USERNAME),
            password=os.environ.get("NEO4J_PASSWORD"),
            database=os.environ.get("NEO4J_DATABASE") or None,
        )

    @property
    def auth(self) -> tuple[str, str] | None:
        """Driver auth tuple, or ``None`` when no password is set (auth disabled)."""
        if self.password is None:
            return None
        return (self.username, self.password)

    def driver(self):
        """Open a ``neo4j`` driver and verify connectivity.

        Raises:
            Neo4jUnavailable: the server cannot be reached or refused the login.
        """
        from core.errors import Neo4jUnavailable

        try:
            import neo4j
            from neo4j import exceptions as nex
        except ImportError as exc:  # pragma: no cover - dependency of kgft
            raise Neo4jUnavailable("the neo4j Python driver is not installed") from exc
        drv = neo4j.GraphDatabase.driver(self.uri, auth=self.auth)
        try:
            drv.verify_connectivity()
        except nex.AuthError as exc:
            drv.close()
            raise Neo4jUnavailable(
                f"Neo4j at {self.uri} refused the login for user {self.username!r}",
                hint="check NEO4J_USERNAME and NEO4J_PASSWORD",
            ) from exc
        except (nex.ServiceUnavailable, OSError, nex.DriverError) as exc:
            drv.close()
            raise Neo4jUnavailable(
                f"cannot reach Neo4j at {self.uri}",
                hint="start it with `kgft neo4j start` or set NEO4J_URI",
            ) from exc
        return drv
