"""Resolving the Neo4j Community server's jars from Maven Central.

The jars are fetched once by Maven into its local repository (``~/.m2`` by
default, reused across runs and CI jobs); kgft only records the resulting
classpath in a small text file under its cache, so later starts need neither
Maven nor the network.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from core.errors import ConfigError, ServerError

log = logging.getLogger(__name__)

DEFAULT_NEO4J_VERSION = "5.26.30"
"""The Neo4j 5.26 LTS release kgft runs unless ``KGFT_NEO4J_VERSION`` says otherwise."""

DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
MAVEN_HINT = "install Apache Maven 3.6 or newer, e.g. apt-get install maven"
RESOLVE_TIMEOUT_S = 1800

_VERSION_RE = re.compile(r"^5\.26\.\d+$")


def neo4j_version() -> str:
    """The Neo4j version to run: ``$KGFT_NEO4J_VERSION`` or :data:`DEFAULT_NEO4J_VERSION`.

    Raises:
        ConfigError: The variable is not a 5.26.x version.
    """
    version = os.environ.get("KGFT_NEO4J_VERSION") or DEFAULT_NEO4J_VERSION
    if not _VERSION_RE.match(version):
        raise ConfigError(
            f"KGFT_NEO4J_VERSION={version!r} is not a Neo4j 5.26 LTS release (5.26.N)",
            hint=f"unset it to use {DEFAULT_NEO4J_VERSION}",
        )
    return version


def find_maven() -> Path:
    """The ``mvn`` executable on PATH.

    Raises:
        ServerError: Maven is not installed.
    """
    found = shutil.which("mvn")
    if found is None:
        raise ServerError(
            "Maven (mvn) is needed once to fetch Neo4j from Maven Central but was not found",
            hint=MAVEN_HINT,
        )
    return Path(found)


def _cached(classpath_file: Path) -> list[Path] | None:
    """The classpath recorded in ``classpath_file``, if every jar in it still exists."""
    if not classpath_file.is_file():
        return None
    jars = [Path(p) for p in classpath_file.read_text(encoding="utf-8").split(os.pathsep) if p.strip()]
    if not jars or not all(jar.is_file() for jar in jars):
        log.info("cached Neo4j classpath %s is stale; resolving again", classpath_file)
        return None
    return jars


def _maven_error(output: str) -> str:
    """The most telling line of a failed Maven run's output."""
    errors = [line.strip() for line in output.splitlines() if line.lstrip().startswith("[ERROR]")]
    for line in errors:
        if "Could not" in line or "resolve" in line or "Failed" in line:
            return line[:400]
    if errors:
        return errors[0][:400]
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:400] if lines else "no output"


def resolve_classpath(
    cache_dir: Path,
    version: str | None = None,
    *,
    repo_local: Path | None = None,
    offline: bool = False,
    notify: Callable[[str], None] | None = None,
) -> list[Path]:
    """The jars of the Neo4j Community server, resolved with Maven on first use.

    Args:
        cache_dir (Path): Where the classpath file (and the pom Maven runs on) are kept.
        version (str, optional): Neo4j version. (default: :func:`neo4j_version`)
        repo_local (Path, optional): Maven local repository; ``None`` uses Maven's own
            setting (``~/.m2/repository``). (default: ``None``)
        offline (bool): Run Maven offline (``-o``). (default: ``False``)
        notify (Callable[[str], None], optional): Told, in one line, when Maven is about
            to run (so a terminal user knows why the first start takes longer). (default: ``None``)

    Returns:
        list[Path]: The jar files, in classpath order.

    Raises:
        ServerError: Maven is missing or the artifacts cannot be resolved.
    """
    version = version or neo4j_version()
    cache_dir.mkdir(parents=True, exist_ok=True)
    classpath_file = cache_dir / f"classpath-{version}.txt"
    jars = _cached(classpath_file)
    if jars is not None:
        return jars

    mvn = find_maven()
    pom = cache_dir / "pom.xml"
    pom.write_bytes(resources.files("kg.neo4j_server").joinpath("pom.xml").read_bytes())
    partial = classpath_file.with_suffix(".part")
    cmd = [
        str(mvn),
        "-B",
        "-q",
        "-f",
        str(pom),
        f"-Dneo4j.version={version}",
        f"{DEPENDENCY_PLUGIN}:build-classpath",
        f"-Dmdep.outputFile={partial}",
        "-Dmdep.includeScope=runtime",
    ]
    if repo_local is not None:
        cmd.append(f"-Dmaven.repo.local={repo_local}")
    if offline:
        cmd.append("-o")
    log.info("resolving Neo4j %s from Maven Central (first use only)", version)
    if notify is not None:
        notify(f"Resolving Neo4j {version} from Maven Central with Maven (first start only)...")
    started = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=cache_dir, capture_output=True, text=True, timeout=RESOLVE_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ServerError(
            f"resolving org.neo4j:neo4j:{version} with Maven took over {RESOLVE_TIMEOUT_S} s",
            hint="check the network connection to Maven Central",
        ) from exc
    except OSError as exc:
        raise ServerError(f"cannot run {mvn}: {exc}", hint=MAVEN_HINT) from exc
    if proc.returncode != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        raise ServerError(
            f"cannot resolve org.neo4j:neo4j:{version} from Maven Central: "
            f"{_maven_error(proc.stdout + proc.stderr)}",
            hint="check that Maven Central (repo1.maven.org) is reachable, or that "
            "~/.m2 already holds the artifacts",
        )
    partial.replace(classpath_file)
    log.info("resolved Neo4j %s in %.1f s", version, time.monotonic() - started)
    jars = _cached(classpath_file)
    if jars is None:
        raise ServerError(f"Maven produced an empty or broken classpath in {classpath_file}")
    return jars
