"""Open the store a command asks for: the embedded store (default) or the Neo4j server.

This module is imported by the ``kgft`` commands, so it imports nothing heavy:
the store classes (rdflib/pyoxigraph, neo4j) are imported when a store is opened.
"""

from __future__ import annotations

from pathlib import Path

from core.errors import ConfigError
from kg.store_protocol import Store


def open_store(store_dir: Path | str | None = None, neo4j: bool = False, read_only: bool = False) -> Store:
    """Open the embedded store (default) or the Neo4j server.

    Args:
        store_dir (Path or str, optional): Embedded store directory; default
            :func:`core.settings.default_store_dir`. (default: ``None``)
        neo4j (bool): Use the Neo4j server from the ``NEO4J_*`` settings instead. (default: ``False``)
        read_only (bool): Open the embedded store read-only (several readers may
            share it); ignored for Neo4j. (default: ``False``)

    Returns:
        Store: An open store; call ``close()`` (or use it as a context manager).

    Raises:
        ConfigError: both a store directory and ``neo4j`` were given.
        StoreError: the store cannot be opened (Neo4jUnavailable for the server).
    """
    if neo4j:
        if store_dir is not None:
            raise ConfigError("--store and --neo4j are mutually exclusive", hint="pass only one of them")
        from kg.neo4j_store import Neo4jStore
        from core.settings import Neo4jSettings

        return Neo4jStore(Neo4jSettings.from_env())
    from kg.embedded import EmbeddedStore
    from core.settings import default_store_dir

    return EmbeddedStore(Path(store_dir) if store_dir is not None else default_store_dir(), read_only=read_only)
