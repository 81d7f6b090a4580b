"""``kgft neo4j``: start, stop and inspect the local Neo4j server."""

from __future__ import annotations

import click

from commands.options import emit_json


@click.group("neo4j")
def neo4j_group() -> None:
    """Run the local Neo4j 5.26 server (from Maven Central, on Java 17+).

    The server listens on 127.0.0.1 only, keeps its data under $KGFT_HOME/neo4j
    and has authentication on: user NEO4J_USERNAME (default neo4j), password
    NEO4J_PASSWORD (required; set as the initial password on first start).
    """


@neo4j_group.command("start")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Bolt port on 127.0.0.1.  [default: $KGFT_NEO4J_PORT or 7687]")
@click.option("--timeout", type=click.FloatRange(min=1), default=180.0, show_default=True,
              help="Seconds to wait for Bolt to answer.")
def neo4j_start(port, timeout) -> None:
    """Start the server; returns once Bolt answers (a no-op if it already runs).

    The first start resolves Neo4j's jars with Maven (once, into ~/.m2).
    """
    from kg.neo4j_server import start

    state = start(port, timeout=timeout, notify=lambda line: click.echo(line, err=True))
    click.echo(state.describe())


@neo4j_group.command("stop")
def neo4j_stop() -> None:
    """Stop the server (SIGTERM, then SIGKILL after 60 s)."""
    from kg.neo4j_server import stop

    click.echo(stop().describe())


@neo4j_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def neo4j_status(as_json) -> None:
    """Say whether the server runs, with its pid, Bolt URI and version."""
    from kg.neo4j_server import status

    state = status()
    if as_json:
        emit_json(state.to_dict())
    else:
        click.echo(state.describe())
