"""Starting, stopping and inspecting the local Neo4j server process.

The server is one JVM running Neo4j's ``CommunityEntryPoint`` on jars resolved
from Maven Central (:mod:`kg.neo4j_server.resolve`), with a generated
``neo4j.conf`` (:mod:`kg.neo4j_server.config`). Its pid, port and version are
kept in a JSON pid file under ``<home>/run``; a pid file whose process is gone
(or is not this server) is treated as stale and removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from core.errors import ConfigError, ServerError
from kg.neo4j_server import bolt, config, jvm, logs, plugin, resolve, state
from kg.neo4j_server.state import ServerStatus
from core.settings import Neo4jSettings, neo4j_bolt_port, neo4j_home

log = logging.getLogger(__name__)

DEFAULT_START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 60.0
KILL_WAIT_S = 30.0


@contextlib.contextmanager
def _locked(layout: config.ServerLayout, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive lock on the server's home (one start/stop at a time).

    Args:
        layout (ServerLayout): The server's files.
        wait (bool): Block until the lock is free; otherwise yield ``False`` at once
            when another process holds it. (default: ``True``)

    Yields:
        bool: Whether the lock is held.
    """
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    with open(layout.lock_file, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _password(settings: Neo4jSettings) -> str:
    if not settings.password:
        raise ConfigError(
            "NEO4J_PASSWORD is not set: the local Neo4j server runs with authentication on",
            hint="export NEO4J_PASSWORD=<a password of 8+ characters>, e.g. kgft-dev-password",
        )
    if len(settings.password) < bolt.MIN_PASSWORD_LENGTH or settings.password == bolt.DEFAULT_INITIAL_PASSWORD:
        raise ConfigError(
            f"NEO4J_PASSWORD must have at least {bolt.MIN_PASSWORD_LENGTH} characters "
            f"and must not be {bolt.DEFAULT_INITIAL_PASSWORD!r}"
        )
    return settings.password


def _terminate(pid: int, home: Path, timeout: float = STOP_TIMEOUT_S) -> bool:
    """SIGTERM ``pid``, wait up to ``timeout`` seconds, then SIGKILL. True if it was killed."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not state.is_server(pid, home):
            return False
        time.sleep(0.2)
    log.warning("Neo4j (pid %d) did not stop within %.0f s; killing it", pid, timeout)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + KILL_WAIT_S
    while state.is_server(pid, home):
        if time.monotonic() > deadline:
            raise ServerError(f"Neo4j (pid {pid}) survived SIGKILL for {KILL_WAIT_S:.0f} s")
        time.sleep(0.1)
    return True


def start(
    port: int | None = None,
    *,
    home: Path | None = None,
    settings: Neo4jSettings | None = None,
    timeout: float = DEFAULT_START_TIMEOUT_S,
    notify: Callable[[str], None] | None = None,
) -> ServerStatus:
    """Start the local Neo4j server and return once Bolt answers ``RETURN 1``.

    Starting a server that already runs is a no-op (the status says so).

    Args:
        port (int, optional): Bolt port on 127.0.0.1. (default: ``$KGFT_NEO4J_PORT`` or 7687)
        home (Path, optional): Server home. (default: ``core.settings.neo4j_home()``)
        settings (Neo4jSettings, optional): Credentials. (default: ``Neo4jSettings.from_env()``)
        timeout (float): Seconds to wait for readiness. (default: 180)
        notify (Callable[[str], None], optional): Told when Maven runs (first start). (default: ``None``)

    Returns:
        ServerStatus: The running server.

    Raises:
        ConfigError: ``NEO4J_PASSWORD`` is unset or too short, or a bad setting.
        ServerError: Java/Maven missing, artifacts unresolvable, port taken, or the
            server died or did not become ready (with the log path and tail).
    """
    port = neo4j_bolt_port() if port is None else port
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port {port} is not a port number (1-65535)")
    settings = settings or Neo4jSettings.from_env()
    password = _password(settings)
    layout = config.ServerLayout(home or neo4j_home())
    layout.make_dirs()
    with _locked(layout):
        current = state.current(layout)
        if current.running:
            note = "already running"
            if current.port != port:
                note += f" (on port {current.port}, not {port}; stop it first to change the port)"
            return replace(current, note=note)
        if bolt.port_in_use(port):
            raise ServerError(f"Bolt port {port} on 127.0.0.1 is already in use by another process",
                              hint="stop that process or choose another port with --port / KGFT_NEO4J_PORT")
        heap = config.memory_setting("KGFT_NEO4J_HEAP", config.DEFAULT_HEAP)
        pagecache = config.memory_setting("KGFT_NEO4J_PAGECACHE", config.DEFAULT_PAGECACHE)
        java = jvm.require_java()
        version = resolve.neo4j_version()
        classpath = resolve.resolve_classpath(layout.lib_dir, version, notify=notify)
        plugin.install(layout.home / "plugins", classpath, java, version, notify=notify)
        config.write_config(layout, port, pagecache)
        return _launch(layout, java, classpath, version, port, heap, settings, password, timeout)


def _launch(layout: config.ServerLayout, java: Path, classpath: list[Path], version: str, port: int,
            heap: str, settings: Neo4jSettings, password: str, timeout: float) -> ServerStatus:
    """Spawn the JVM, write the pid file and wait for readiness (stops it again on failure)."""
    started = time.monotonic()
    cmd = config.java_command(java, classpath, layout, heap)
    offsets = logs.log_sizes(layout)
    with open(layout.console_log, "ab") as console:
        proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            cmd, stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
            cwd=layout.home, start_new_session=True, close_fds=True,
        )
    state.CHILDREN[proc.pid] = proc
    state.write_pid_file(layout, proc.pid, port, version)
    log.info("started Neo4j %s (pid %d) on port %d; waiting for Bolt", version, proc.pid, port)

    def alive() -> bool:
        return proc.poll() is None

    def died() -> None:
        layout.pid_file.unlink(missing_ok=True)
        state.CHILDREN.pop(proc.pid, None)
        raise ServerError(
            f"Neo4j exited with status {proc.returncode} while starting; see {layout.logs_dir}: "
            f"{logs.log_tail(layout, offsets)}"
        )

    deadline = started + timeout
    try:
        bolt.wait_for_port(port, alive, deadline, died)
        bolt.ensure_login(bolt.bolt_uri(port), settings.username, password, deadline, alive, died)
    except BaseException as exc:
        still_running = alive()  # if it died, died() already reported the log tail
        if still_running:
            _terminate(proc.pid, layout.home)
        layout.pid_file.unlink(missing_ok=True)
        if isinstance(exc, ServerError) and still_running:
            raise ServerError(f"{exc.message}; see {layout.logs_dir}: {logs.log_tail(layout, offsets)}",
                              hint=exc.hint) from exc
        raise
    elapsed = time.monotonic() - started
    log.info("Neo4j ready in %.1f s", elapsed)
    return ServerStatus(running=True, home=layout.home, pid=proc.pid, port=port, version=version,
                        note=f"ready in {elapsed:.1f} s")


def stop(*, home: Path | None = None, timeout: float = STOP_TIMEOUT_S) -> ServerStatus:
    """Stop the local Neo4j server: SIGTERM, wait, then SIGKILL.

    Args:
        home (Path, optional): Server home. (default: ``core.settings.neo4j_home()``)
        timeout (float): Seconds to wait after SIGTERM before SIGKILL. (default: 60)

    Returns:
        ServerStatus: The stopped server; ``note`` says what was done.
    """
    layout = config.ServerLayout(home or neo4j_home())
    if not layout.home.exists():
        return ServerStatus(running=False, home=layout.home, note="it was not running")
    with _locked(layout):
        current = state.current(layout)
        if not current.running:
            return ServerStatus(running=False, home=layout.home, note=current.note or "it was not running")
        killed = _terminate(int(current.pid), layout.home, timeout)
        layout.pid_file.unlink(missing_ok=True)
        state.CHILDREN.pop(int(current.pid), None)
    note = f"killed pid {current.pid} after {timeout:.0f} s" if killed else f"stopped pid {current.pid}"
    return ServerStatus(running=False, home=layout.home, note=note)


def status(*, home: Path | None = None) -> ServerStatus:
    """The local Neo4j server's status (a stale pid file is removed).

    Args:
        home (Path, optional): Server home. (default: ``core.settings.neo4j_home()``)
    """
    layout = config.ServerLayout(home or neo4j_home())
    if not layout.home.exists():
        return ServerStatus(running=False, home=layout.home)
    with _locked(layout, wait=False) as locked:
        if not locked:  # a start or stop is under way: report without touching the pid file
            data = state.read_pid_file(layout)
            running = data is not None and state.is_server(int(data["pid"]), layout.home)
            return ServerStatus(running=running, home=layout.home,
                                pid=int(data["pid"]) if running else None,
                                port=int(data["port"]) if running else None,
                                version=str(data.get("version")) if running else None,
                                note="a start or stop is in progress")
        current = state.current(layout)
    if current.running and not bolt.bolt_listening(int(current.port)):
        current = replace(current, note="its Bolt port does not answer")
    return current
