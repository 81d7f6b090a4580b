"""Write converter output: stream triples to Turtle atomically."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from core.errors import DataError
from core.fsutil import atomic_path

log = logging.getLogger(__name__)


@dataclass
class ConvertResult:
    """What a conversion wrote.

    Args:
        output (str): The file written.
        triples (int): Triples written (distinct).
        concepts (int): Concepts (descriptors, words, entities) minted.
        seconds (float): Wall time.
    """

    output: str
    triples: int
    concepts: int
    seconds: float = 0.0


def write_turtle(triples: Iterable, output: Path, prefixes: dict[str, str]) -> int:
    """Serialize pyoxigraph triples to ``output`` as Turtle, via a temp file renamed into place.

    Returns:
        int: Triples written.

    Raises:
        DataError: the file cannot be written.
    """
    import pyoxigraph as ox

    output = Path(output)
    count = 0

    def counted():
        nonlocal count
        for triple in triples:
            count += 1
            yield triple

    try:
        with atomic_path(output, suffix=".part") as tmp:
            ox.serialize(counted(), str(tmp), ox.RdfFormat.TURTLE, prefixes=prefixes)
    except OSError as exc:
        raise DataError(f"cannot write {output}: {exc.strerror or exc}") from exc
    return count


def convert(triples: Iterable, output: Path, prefixes: dict[str, str], counter: dict) -> ConvertResult:
    """Stream a converter's triples to ``output`` and build the result.

    Args:
        triples (Iterable): The converter's generator of ``pyoxigraph.Triple``.
        output (Path): The Turtle file.
        prefixes (dict): Prefixes for the Turtle header.
        counter (dict): Filled by the generator; its ``"concepts"`` entry is reported.
    """
    start = time.perf_counter()
    n = write_turtle(triples, output, prefixes)
    seconds = time.perf_counter() - start
    concepts = int(counter.get("concepts", 0))
    log.info("wrote %d triples (%d concepts) to %s in %.2fs", n, concepts, output, seconds)
    return ConvertResult(output=str(output), triples=n, concepts=concepts, seconds=seconds)
