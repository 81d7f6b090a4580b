"""kgft's server plugin: the ``kgft.importNTriples`` procedure, built from source on start.

The procedure (Java sources in ``kg/neo4j_server/java``) writes a batch of
N-Triples text into the n10s-style graph inside the caller's transaction,
exactly as the Cypher statements of :mod:`kg.neo4j_store.write` do but
without a Cypher pipeline per statement, so imports over Bolt run faster
(BENCHMARKS.md). It is an accelerator, never a requirement: a server
without it (someone else's Neo4j, or a machine with a Java runtime but no
compiler) gets the Cypher path, with the same graph.

:func:`install` compiles the sources with ``javac`` against the server's own
jars (no network, a few seconds, once per source version) and places the jar
in the server's plugins directory, where Neo4j loads it at start.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from core.errors import ServerError

log = logging.getLogger(__name__)

#: The procedure's name, as clients look it up with ``SHOW PROCEDURES``.
PROCEDURE = "kgft.importNTriples"
JAR_PREFIX = "kgft-rdf-"
COMPILE_TIMEOUT_S = 300


def sources() -> dict[str, bytes]:
    """The plugin's Java sources, ``file name -> bytes``."""
    folder = resources.files("kg.neo4j_server").joinpath("java")
    return {item.name: item.read_bytes() for item in folder.iterdir() if item.name.endswith(".java")}


def jar_name(version: str, files: dict[str, bytes] | None = None) -> str:
    """The jar's file name: it changes with the sources and the Neo4j version."""
    digest = hashlib.sha256(version.encode())
    for name, data in sorted((files if files is not None else sources()).items()):
        digest.update(name.encode() + b"\0" + data)
    return f"{JAR_PREFIX}{digest.hexdigest()[:12]}.jar"


def find_javac(java: Path) -> Path | None:
    """The Java compiler: ``$JAVA_HOME/bin/javac``, next to ``java`` (symlinks resolved), or on PATH."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]) / "bin" / "javac")
    candidates.append(Path(java).resolve().parent / "javac")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("javac")
    return Path(found) if found else None


def _first_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if "error:" in line:
            return line[:400]
    return lines[0][:400] if lines else "no output"


def _compile(javac: Path, files: dict[str, bytes], classpath: list[Path], jar: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="kgft-plugin-") as tmp:
        src, out = Path(tmp) / "src", Path(tmp) / "classes"
        src.mkdir()
        out.mkdir()
        for name, data in files.items():
            (src / name).write_bytes(data)
        cmd = [
            str(javac), "--release", "17", "-proc:none", "-nowarn", "-encoding", "UTF-8",
            "-cp", os.pathsep.join(str(p) for p in classpath), "-d", str(out),
            *sorted(str(src / name) for name in files),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ServerError(f"cannot compile the kgft Neo4j plugin with {javac}: {exc}") from exc
        if proc.returncode != 0:
            raise ServerError(
                f"compiling the kgft Neo4j plugin failed: {_first_error(proc.stderr + proc.stdout)}",
                hint="this is a kgft bug; start with KGFT_NEO4J_PLUGIN=0 to run without the plugin",
            )
        partial = jar.with_suffix(".part")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: kgft\r\n\r\n")
            for path in sorted(out.rglob("*.class")):
                archive.write(path, path.relative_to(out).as_posix())
        partial.replace(jar)


def _remove_other_jars(plugins_dir: Path, keep: str | None) -> None:
    for old in plugins_dir.glob(f"{JAR_PREFIX}*.jar"):
        if old.name != keep:
            old.unlink(missing_ok=True)


def install(
    plugins_dir: Path,
    classpath: list[Path],
    java: Path,
    version: str,
    *,
    notify: Callable[[str], None] | None = None,
) -> Path | None:
    """Build (once per source version) and place the plugin jar in ``plugins_dir``.

    ``KGFT_NEO4J_PLUGIN=0`` leaves it out (and removes an installed one).

    Args:
        plugins_dir (Path): The server's plugins directory.
        classpath (list[Path]): The server's jars (compiled against).
        java (Path): The ``java`` executable; ``javac`` is looked for beside it.
        version (str): The Neo4j version (part of the jar's name).
        notify (Callable[[str], None], optional): Told in one line when the plugin
            cannot be built (no ``javac``). (default: ``None``)

    Returns:
        Path or None: The installed jar; ``None`` when left out.

    Raises:
        ServerError: the sources do not compile.
    """
    plugins_dir.mkdir(parents=True, exist_ok=True)
    if os.environ.get("KGFT_NEO4J_PLUGIN", "1").strip().lower() in ("0", "false", "no", "off"):
        _remove_other_jars(plugins_dir, None)
        log.info("KGFT_NEO4J_PLUGIN=0: starting without the kgft plugin")
        return None
    files = sources()
    jar = plugins_dir / jar_name(version, files)
    if not jar.is_file():
        javac = find_javac(java)
        if javac is None:
            _remove_other_jars(plugins_dir, None)
            message = ("no Java compiler (javac) found: Neo4j starts without the kgft import plugin "
                       "and imports use Cypher (about half as fast); install a JDK to get it")
            log.warning(message)
            if notify is not None:
                notify(message)
            return None
        log.info("compiling the kgft Neo4j plugin into %s", jar)
        _compile(javac, files, classpath, jar)
    _remove_other_jars(plugins_dir, jar.name)
    return jar
