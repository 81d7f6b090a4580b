"""``kgft query``: parameterised SPARQL on the embedded store and Cypher on Neo4j."""

from __future__ import annotations

import click

from commands.options import KgftGroup, store_options


@click.group(cls=KgftGroup)
def query() -> None:
    """Run read-only SPARQL (embedded store) or Cypher (Neo4j) queries with parameters."""


@query.command("sparql")
@click.argument("query_text", metavar="QUERY")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind ?NAME to VALUE (<iri>, prefix:name, number, or text). Repeatable.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True, help="Output format.")
@click.option("--write", is_flag=True, help="Allow SPARQL UPDATE (INSERT/DELETE/LOAD/CLEAR/DROP/CREATE).")
@click.option("--timeout", type=click.FloatRange(min=0), default=60.0, show_default=True, metavar="SECONDS",
              help="Stop a query or update running longer than this (0: no limit). Ctrl-C and SIGTERM stop it too; a stopped update writes nothing.")
@click.option("--allow-service", is_flag=True, help="Allow federated SERVICE (and LOAD): requests to other servers.")
@store_options(allow_neo4j=False)
def query_sparql(query_text, params, fmt, write, timeout, allow_service, store_dir, neo4j) -> None:
    """Run a SPARQL QUERY (text, or @FILE) on the embedded store.

    Queries share the store with other readers; they never reach the network
    unless --allow-service is given. An update (--write) is all-or-nothing.
    """
    from kg.sparql_query import format_result, read_query_text, run_sparql
    from kg.open_store import open_store

    text = read_query_text(query_text)
    store = open_store(store_dir, read_only=not write)
    try:
        result = run_sparql(store, text, params, write=write, timeout=timeout, allow_service=allow_service)
    finally:
        store.close()
    click.echo(format_result(result, fmt), nl=False)


@query.command("cypher")
@click.argument("query_text", metavar="QUERY")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Pass $NAME = VALUE (<iri>, prefix:name, number, true/false/null, JSON list/map, or text). Repeatable.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True, help="Output format.")
@click.option("--write", is_flag=True, help="Allow updates (CREATE/MERGE/SET/DELETE/schema); default is read-only.")
def query_cypher(query_text, params, fmt, write) -> None:
    """Run a Cypher QUERY (text, or @FILE) on the Neo4j server (NEO4J_* settings)."""
    from kg.neo4j_store import Neo4jStore
    from kg.neo4j_store.cypher_query import format_cypher, run_cypher
    from kg.sparql_query import read_query_text

    text = read_query_text(query_text)
    with Neo4jStore() as store:
        result = run_cypher(store, text, params, write=write)
    click.echo(format_cypher(result, fmt), nl=False)
    if result.counters:
        click.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in result.counters.items()), err=True)
