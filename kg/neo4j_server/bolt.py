"""Talking to a starting Neo4j server over Bolt: port checks, readiness, initial password."""

from __future__ import annotations

import errno
import logging
import socket
import time
from collections.abc import Callable

from core.errors import ServerError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_INITIAL_USER = "neo4j"
DEFAULT_INITIAL_PASSWORD = "neo4j"  # Neo4j's factory credentials; replaced on first start
MIN_PASSWORD_LENGTH = 8  # Neo4j's dbms.security.auth_minimum_password_length


def bolt_uri(port: int) -> str:
    """``bolt://127.0.0.1:<port>``."""
    return f"bolt://{HOST}:{port}"


def port_in_use(port: int) -> bool:
    """Whether something already listens on (or holds) ``127.0.0.1:port``.

    Binds a throw-away socket the way the JVM's server socket does (with
    ``SO_REUSEADDR``), so a listener on 0.0.0.0 counts as well.

    Raises:
        ServerError: The port cannot be bound for another reason (e.g. privileged).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise ServerError(f"cannot use port {port} on {HOST}: {exc.strerror}",
                              hint="choose another port with --port") from exc
    return False


def bolt_listening(port: int, timeout: float = 0.5) -> bool:
    """Whether a TCP connection to ``127.0.0.1:port`` succeeds."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(port: int, alive: Callable[[], bool], deadline: float, on_death: Callable[[], None]) -> None:
    """Wait until the Bolt port accepts connections.

    Args:
        port (int): Bolt port.
        alive (Callable[[], bool]): Whether the server process still runs.
        deadline (float): ``time.monotonic()`` value to give up at.
        on_death (Callable[[], None]): Called (and expected to raise) if the process dies.

    Raises:
        ServerError: The deadline passed.
    """
    while time.monotonic() < deadline:
        if not alive():
            on_death()
        if bolt_listening(port):
            return
        time.sleep(0.25)
    raise ServerError(f"Neo4j did not open Bolt port {port} in time")


def _is_auth_failure(exc: Exception) -> bool:
    from neo4j import exceptions as nex

    return isinstance(exc, nex.AuthError) or getattr(exc, "code", "") == "Neo.ClientError.Security.Unauthorized"


def _is_expired(exc: Exception) -> bool:
    return getattr(exc, "code", "") == "Neo.ClientError.Security.CredentialsExpired"


def _retrying(action: Callable[[], None], deadline: float, alive: Callable[[], bool],
              on_death: Callable[[], None]) -> None:
    """Run ``action`` until it stops failing with transient "still starting" errors."""
    from neo4j import exceptions as nex

    while True:
        try:
            action()
            return
        except (nex.ServiceUnavailable, nex.SessionExpired, nex.TransientError,
                nex.DatabaseUnavailable) as exc:
            if not alive():
                on_death()
            if time.monotonic() >= deadline:
                raise ServerError(f"Neo4j did not become ready in time: {exc}") from exc
            time.sleep(0.5)


def _run(uri: str, auth: tuple[str, str], query: str, database: str | None = None, **params) -> None:
    import neo4j

    with neo4j.GraphDatabase.driver(uri, auth=auth) as driver:
        driver.execute_query(query, params, database_=database)


def ensure_login(
    uri: str,
    username: str,
    password: str,
    deadline: float,
    alive: Callable[[], bool],
    on_death: Callable[[], None],
) -> bool:
    """Make ``username``/``password`` work on a fresh or running server, then check ``RETURN 1``.

    On a fresh server (factory credentials ``neo4j``/``neo4j``, which must be
    changed) the ``neo4j`` user's password is set to ``password`` with
    ``ALTER CURRENT USER`` on the system database; a different ``username`` is
    then created with the same password. Values reach Cypher only as parameters.

    Args:
        uri (str): Bolt URI.
        username (str): The user kgft connects as.
        password (str): Its password (never logged).
        deadline (float): ``time.monotonic()`` value to give up at.
        alive (Callable[[], bool]): Whether the server process still runs.
        on_death (Callable[[], None]): Called (and expected to raise) if the process dies.

    Returns:
        bool: ``True`` if the initial password was set now.

    Raises:
        ServerError: The server refuses both the given and the factory credentials,
            or it did not become ready before the deadline.
    """
    from neo4j import exceptions as nex

    def check() -> None:
        _run(uri, (username, password), "RETURN 1 AS ready")

    try:
        _retrying(check, deadline, alive, on_death)
        return False
    except (nex.AuthError, nex.ClientError) as exc:
        if not (_is_auth_failure(exc) or _is_expired(exc)):
            raise ServerError(f"Neo4j rejected `RETURN 1`: {exc}") from exc

    def set_initial() -> None:
        _run(uri, (DEFAULT_INITIAL_USER, DEFAULT_INITIAL_PASSWORD),
             "ALTER CURRENT USER SET PASSWORD FROM $old TO $new", database="system",
             old=DEFAULT_INITIAL_PASSWORD, new=password)

    try:
        _retrying(set_initial, deadline, alive, on_death)
    except (nex.AuthError, nex.ClientError) as exc:
        if _is_auth_failure(exc):
            raise ServerError(
                f"Neo4j at {uri} refuses NEO4J_USERNAME={username!r} with the password in "
                "NEO4J_PASSWORD, which differs from the one set when this server was first started",
                hint="use that password, or stop the server and delete its data directory to start afresh",
            ) from exc
        raise ServerError(f"cannot set the initial Neo4j password: {exc}") from exc
    log.info("set the initial password of Neo4j user %r", DEFAULT_INITIAL_USER)
    if username != DEFAULT_INITIAL_USER:
        _retrying(lambda: _run(uri, (DEFAULT_INITIAL_USER, password),
                               "CREATE USER $user IF NOT EXISTS SET PASSWORD $pw CHANGE NOT REQUIRED",
                               database="system", user=username, pw=password),
                  deadline, alive, on_death)
        log.info("created Neo4j user %r", username)
    _retrying(check, deadline, alive, on_death)
    return True
