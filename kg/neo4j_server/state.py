"""The local Neo4j server's pid file and what it says about the server.

kgft keeps the pid, Bolt port and version of the server it started in a JSON
pid file under ``<home>/run``. A pid file whose process is gone, or is not a
Neo4j server for this home (pid reuse), is stale and removed.
"""

from __future__ import annotations

import json
import logging
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from kg.neo4j_server import bolt, config

log = logging.getLogger(__name__)

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"

# Servers started by this Python process, so their exit status is reaped (no zombies).
CHILDREN: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class ServerStatus:
    """What ``kgft neo4j status`` reports.

    Args:
        running (bool): Whether the server process is alive.
        home (Path): The server's home directory.
        pid (int, optional): Process id when running.
        port (int, optional): Bolt port when running.
        version (str, optional): Neo4j version when running.
        note (str, optional): Extra information, e.g. "already running". (default: ``None``)
    """

    running: bool
    home: Path
    pid: int | None = None
    port: int | None = None
    version: str | None = None
    note: str | None = None

    @property
    def uri(self) -> str | None:
        """The Bolt URI, when running."""
        return bolt.bolt_uri(self.port) if self.port else None

    def describe(self) -> str:
        """One line for the terminal."""
        if not self.running:
            text = f"Neo4j is stopped (home {self.home})"
        else:
            text = f"Neo4j {self.version} is running: pid {self.pid}, {self.uri} (home {self.home})"
        return f"{text}; {self.note}" if self.note else text

    def to_dict(self) -> dict:
        """JSON-ready fields, including the URI."""
        data = asdict(self)
        data["home"] = str(self.home)
        data["uri"] = self.uri
        return data


def is_server(pid: int, home: Path) -> bool:
    """Whether ``pid`` is a live Neo4j server process for ``home``."""
    child = CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        CHILDREN.pop(pid, None)
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    if state in ("Z", "X"):
        return False
    return ENTRY_POINT.encode() in cmdline and f"--home-dir={home}".encode() in cmdline


def read_pid_file(layout: config.ServerLayout) -> dict | None:
    """The pid file's content, or ``None`` if there is none or it is unreadable."""
    try:
        data = json.loads(layout.pid_file.read_text(encoding="utf-8"))
        int(data["pid"]), int(data["port"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, OSError) as exc:
        log.warning("ignoring unreadable pid file %s: %s", layout.pid_file, exc)
        return None
    return data


def current(layout: config.ServerLayout) -> ServerStatus:
    """The server's status; removes a stale pid file."""
    data = read_pid_file(layout)
    if data is None:
        if layout.pid_file.exists():
            layout.pid_file.unlink(missing_ok=True)
        return ServerStatus(running=False, home=layout.home)
    pid = int(data["pid"])
    if not is_server(pid, layout.home):
        log.info("removing stale pid file %s (process %d is gone)", layout.pid_file, pid)
        layout.pid_file.unlink(missing_ok=True)
        return ServerStatus(running=False, home=layout.home, note=f"removed stale pid file (pid {pid})")
    return ServerStatus(running=True, home=layout.home, pid=pid, port=int(data["port"]),
                        version=str(data.get("version")))


def write_pid_file(layout: config.ServerLayout, pid: int, port: int, version: str) -> None:
    """Write the pid file atomically."""
    partial = layout.pid_file.with_suffix(".tmp")
    partial.write_text(json.dumps({"pid": pid, "port": port, "version": version}), encoding="utf-8")
    partial.replace(layout.pid_file)
