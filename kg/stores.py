"""Open the store a command asks for, and the shared ``--store``/``--neo4j`` options.

This module is imported by ``cli.py`` at start-up, so it imports nothing heavy:
the store classes (rdflib/pyoxigraph, neo4j) are imported when a store is opened.
"""

from __future__ import annotations

import functools
from pathlib import Path

import click

from kg.errors import ConfigError
from kg.store import Store


def open_store(store_dir: Path | str | None = None, neo4j: bool = False, read_only: bool = False) -> Store:
    """Open the embedded store (default) or the Neo4j server.

    Args:
        store_dir (Path or str, optional): Embedded store directory; default
            :func:`kg.settings.default_store_dir`. (default: ``None``)
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
        from kg.settings import Neo4jSettings

        return Neo4jStore(Neo4jSettings.from_env())
    from kg.embedded import EmbeddedStore
    from kg.settings import default_store_dir

    return EmbeddedStore(Path(store_dir) if store_dir is not None else default_store_dir(), read_only=read_only)


def store_options(func=None, *, allow_neo4j: bool = True):
    """Click decorator adding ``--store DIR`` and (optionally) ``--neo4j``.

    The command receives ``store_dir`` (``Path`` or ``None``) and ``neo4j``
    (``bool``) and calls :func:`open_store` with them. Giving both options is a
    usage error (exit code 2, one line).

    Args:
        func: The command function (when used without parentheses).
        allow_neo4j (bool): Also add ``--neo4j``. (default: ``True``)
    """

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            store_dir = kwargs.get("store_dir")
            if kwargs.get("neo4j") and store_dir is not None:
                raise click.UsageError("--store and --neo4j are mutually exclusive; pass only one")
            if not allow_neo4j:
                kwargs["neo4j"] = False
            return f(*args, **kwargs)

        wrapped = wrapper
        if allow_neo4j:
            wrapped = click.option(
                "--neo4j", is_flag=True, help="Use the Neo4j server (NEO4J_URI/NEO4J_USERNAME/NEO4J_PASSWORD)."
            )(wrapped)
        return click.option(
            "--store",
            "store_dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Embedded store directory (default: $KGFT_HOME/store).",
        )(wrapped)

    return decorate(func) if func is not None else decorate
