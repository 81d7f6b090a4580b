"""The local Neo4j server's directory layout, ``neo4j.conf`` and JVM options."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError

DEFAULT_HEAP = "2g"
"""Maximum JVM heap (``KGFT_NEO4J_HEAP``): sized for a 2-core, 24 GB machine shared with training."""

DEFAULT_PAGECACHE = "1g"
"""Page cache size (``KGFT_NEO4J_PAGECACHE``)."""

_SIZE_RE = re.compile(r"^\d+[kmgKMG]$")

# The JVM flags of the Neo4j 5.26 distribution's default neo4j.conf (less -XX:+AlwaysPreTouch,
# which would commit the whole heap up front on a small shared machine).
_JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
)


@dataclass(frozen=True)
class ServerLayout:
    """Where one local Neo4j server keeps its files.

    Args:
        home (Path): The server's home (``core.settings.neo4j_home()``).
    """

    home: Path

    @property
    def conf_dir(self) -> Path:
        """Holds the generated ``neo4j.conf``."""
        return self.home / "conf"

    @property
    def conf_file(self) -> Path:
        """The generated ``neo4j.conf``."""
        return self.conf_dir / "neo4j.conf"

    @property
    def data_dir(self) -> Path:
        """Databases and transaction logs."""
        return self.home / "data"

    @property
    def logs_dir(self) -> Path:
        """``neo4j.log``, ``debug.log`` and the JVM's console output."""
        return self.home / "logs"

    @property
    def run_dir(self) -> Path:
        """The pid file and the start lock."""
        return self.home / "run"

    @property
    def lib_dir(self) -> Path:
        """The cached classpath (jar paths in the Maven local repository)."""
        return self.home / "lib"

    @property
    def pid_file(self) -> Path:
        """kgft's JSON pid file: ``{"pid", "port", "version"}`` of the running server.

        (Neo4j itself writes and deletes a plain ``neo4j.pid`` beside it.)
        """
        return self.run_dir / "kgft-server.json"

    @property
    def lock_file(self) -> Path:
        """Serializes concurrent ``start``/``stop`` calls on one home."""
        return self.run_dir / "kgft.lock"

    @property
    def console_log(self) -> Path:
        """The JVM's stdout and stderr."""
        return self.logs_dir / "console.log"

    @property
    def server_log(self) -> Path:
        """Neo4j's user log."""
        return self.logs_dir / "neo4j.log"

    def make_dirs(self) -> None:
        """Create every directory of the layout."""
        for path in (self.conf_dir, self.data_dir, self.logs_dir, self.run_dir, self.lib_dir,
                     self.home / "import", self.home / "plugins"):
            path.mkdir(parents=True, exist_ok=True)


def memory_setting(name: str, default: str) -> str:
    """A memory size such as ``2g`` from the environment variable ``name``.

    Args:
        name (str): Environment variable, e.g. ``KGFT_NEO4J_HEAP``.
        default (str): Value when it is unset.

    Raises:
        ConfigError: The value is not a number followed by k, m or g.
    """
    value = os.environ.get(name) or default
    if not _SIZE_RE.match(value):
        raise ConfigError(f"{name}={value!r} is not a memory size such as 512m or 2g")
    return value.lower()


def render_config(layout: ServerLayout, port: int, pagecache: str) -> str:
    """The text of ``neo4j.conf`` for a loopback-only server with authentication on.

    Args:
        layout (ServerLayout): Directories to use.
        port (int): Bolt port on 127.0.0.1.
        pagecache (str): Page cache size, e.g. ``1g``.
    """
    settings = {
        "server.directories.data": layout.data_dir,
        "server.directories.logs": layout.logs_dir,
        "server.directories.run": layout.run_dir,
        "server.directories.import": layout.home / "import",
        "server.directories.plugins": layout.home / "plugins",
        "server.default_listen_address": "127.0.0.1",
        "server.default_advertised_address": "127.0.0.1",
        "server.bolt.enabled": "true",
        "server.bolt.listen_address": f"127.0.0.1:{port}",
        "server.bolt.advertised_address": f"127.0.0.1:{port}",
        "server.bolt.tls_level": "DISABLED",
        "server.http.enabled": "false",
        "server.https.enabled": "false",
        "server.memory.pagecache.size": pagecache,
        "dbms.security.auth_enabled": "true",
        "dbms.usage_report.enabled": "false",
        "db.tx_log.rotation.retention_policy": "1 days",
        # Bolt's netty event loops otherwise idle 5 s on shutdown (a quick `stop` matters in tests).
        "internal.dbms.bolt.netty_server_shutdown_quiet_period": "0",
        "internal.dbms.bolt.netty_server_shutdown_timeout": "5",
    }
    lines = ["# Generated by kgft (kg.neo4j_server.config); rewritten on every start."]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def write_config(layout: ServerLayout, port: int, pagecache: str) -> Path:
    """Write ``neo4j.conf`` atomically and return its path (see :func:`render_config`)."""
    layout.make_dirs()
    tmp = layout.conf_file.with_suffix(".tmp")
    tmp.write_text(render_config(layout, port, pagecache), encoding="utf-8")
    tmp.replace(layout.conf_file)
    return layout.conf_file


def java_command(java: Path, classpath: list[Path], layout: ServerLayout, heap: str) -> list[str]:
    """The command line that runs Neo4j's ``CommunityEntryPoint`` on ``layout``.

    Args:
        java (Path): The ``java`` executable.
        classpath (list[Path]): The server's jars.
        layout (ServerLayout): Home and conf directories.
        heap (str): Maximum heap, e.g. ``2g``.
    """
    return [
        str(java),
        f"-Xms{heap}",  # initial = max heap, as Neo4j recommends: a small heap GCs constantly
        f"-Xmx{heap}",
        *_JVM_FLAGS,
        "-cp",
        os.pathsep.join(str(jar) for jar in classpath),
        "org.neo4j.server.CommunityEntryPoint",
        f"--home-dir={layout.home}",
        f"--config-dir={layout.conf_dir}",
    ]
