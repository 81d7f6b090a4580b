"""Write a run's entity embeddings back into Neo4j as node properties.

Each entity that is an IRI gets ``n.<property> = [floats]`` on its
``:Resource {uri: IRI}`` node (the n10s model used by kgft's Neo4j store).
Rows go in ``UNWIND`` batches; IRIs and vectors travel only as query
parameters, and the property name as a map key (``SET n += row.props``), so
nothing user-supplied is ever spliced into Cypher text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError, StoreError
from core.progress import progress

logger = logging.getLogger(__name__)

_PROPERTY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
EXPORT_QUERY = (
    "UNWIND $rows AS row "
    "MATCH (n:Resource {uri: row.uri}) "
    "SET n += row.props "
    "RETURN count(n) AS matched"
)


@dataclass
class Neo4jExportResult:
    """What an export did.

    Args:
        entities (int): IRI entities in the run.
        matched (int): Nodes found and updated.
        missing (int): IRIs with no ``:Resource`` node.
        skipped (int): Entities that are not IRIs (blank nodes, literals).
        property (str): The node property written.
    """

    entities: int
    matched: int
    missing: int
    skipped: int
    property: str


def export_embeddings_neo4j(
    run_dir: Path | str, settings=None, property_name: str = "embedding", batch_size: int = 1000
) -> Neo4jExportResult:
    """Set ``n.<property_name>`` on every ``:Resource {uri}`` node of the run's entities.

    Args:
        run_dir (Path or str): An embedding run directory.
        settings (core.settings.Neo4jSettings, optional): Connection; default from
            ``NEO4J_*`` environment variables. (default: ``None``)
        property_name (str): Node property to set. (default: ``"embedding"``)
        batch_size (int): Rows per ``UNWIND`` transaction. (default: ``1000``)

    Raises:
        ConfigError: Invalid property name or batch size.
        ModelError: ``run_dir`` is not an embedding run.
        Neo4jUnavailable: The server cannot be reached.
        StoreError: A write failed.
    """
    from core.settings import Neo4jSettings
    from pipelines.embed import load_embedding_run

    if not _PROPERTY.match(property_name):
        raise ConfigError(f"invalid property name {property_name!r}", hint="use letters, digits and _")
    if batch_size < 1:
        raise ConfigError(f"batch size must be at least 1, got {batch_size}")
    run = load_embedding_run(run_dir)
    settings = settings or Neo4jSettings.from_env()
    rows = [
        {"uri": name, "props": {property_name: run.matrix[i].astype(float).tolist()}}
        for i, name in enumerate(run.entities)
        if not name.startswith("_:") and not name.startswith('"')
    ]
    skipped = len(run.entities) - len(rows)
    matched = 0
    driver = settings.driver()
    try:
        from neo4j.exceptions import Neo4jError

        with driver.session(database=settings.database) as session:
            for start in progress(range(0, len(rows), batch_size), desc="export to neo4j", unit="batch"):
                chunk = rows[start:start + batch_size]
                try:
                    record = session.execute_write(lambda tx, c=chunk: tx.run(EXPORT_QUERY, rows=c).single())
                except Neo4jError as exc:
                    raise StoreError(f"writing embeddings to Neo4j failed: {exc.message or exc}") from exc
                matched += int(record["matched"]) if record else 0
    finally:
        driver.close()
    result = Neo4jExportResult(len(rows), matched, len(rows) - matched, skipped, property_name)
    logger.info("neo4j export: %s", result)
    return result
