"""Finding a Java runtime that can run Neo4j 5.26 (Java 17 or newer)."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

from core.errors import ServerError

log = logging.getLogger(__name__)

MIN_JAVA = 17
JAVA_HINT = "install OpenJDK 17, e.g. apt-get install openjdk-17-jre-headless"

_VERSION_RE = re.compile(r'version "(\d+)(?:\.(\d+))?')


def find_java() -> Path:
    """The ``java`` executable: ``$JAVA_HOME/bin/java`` if set, else ``java`` on PATH.

    Returns:
        Path: The executable.

    Raises:
        ServerError: No Java runtime was found.
    """
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
        log.warning("JAVA_HOME=%s has no bin/java; looking on PATH", java_home)
    found = shutil.which("java")
    if found is None:
        raise ServerError(f"Java {MIN_JAVA}+ is needed to run Neo4j but none was found", hint=JAVA_HINT)
    return Path(found)


def java_major(java: Path) -> int:
    """The major version of a Java runtime (``8`` for 1.8, ``17`` for 17.0.x).

    Args:
        java (Path): The ``java`` executable.

    Raises:
        ServerError: It cannot be run or its version cannot be read.
    """
    try:
        proc = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServerError(f"cannot run {java}: {exc}", hint=JAVA_HINT) from exc
    match = _VERSION_RE.search(proc.stderr + proc.stdout)
    if proc.returncode != 0 or match is None:
        raise ServerError(f"cannot read the Java version from `{java} -version`", hint=JAVA_HINT)
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_392" style
        major = int(match.group(2))
    return major


def require_java() -> Path:
    """A Java runtime of version 17 or newer.

    Returns:
        Path: The ``java`` executable.

    Raises:
        ServerError: Java is missing or too old.
    """
    java = find_java()
    major = java_major(java)
    if major < MIN_JAVA:
        raise ServerError(
            f"Neo4j 5.26 needs Java {MIN_JAVA} or newer, but {java} is Java {major}", hint=JAVA_HINT
        )
    log.debug("using %s (Java %d)", java, major)
    return java
