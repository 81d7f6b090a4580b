"""``kgft data``: list the registered datasets and ontologies and fetch them into the cache."""

from __future__ import annotations

import click

from commands.options import KgftGroup, emit_json, quiet_option


def _human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


@click.group(cls=KgftGroup)
def data() -> None:
    """Real datasets and ontologies: list them and fetch them into the cache.

    Files come from the offline mirror in KGFT_DATA_MIRROR when it is set,
    otherwise from their upstream URL; every file is checked against its
    SHA-256 before use.
    """


@data.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the registry as JSON.")
def data_list(as_json: bool) -> None:
    """List the known datasets: name, description, size and whether cached."""
    from core.data import DATASETS, cache_state

    rows = [
        {
            "name": ds.name,
            "description": ds.description,
            "size": ds.size,
            "cached": cache_state(ds),
            "homepage": ds.homepage,
            "files": [
                {"path": f.path, "sha256": f.sha256, "url": f.url, "repack": f.repack} for f in ds.files
            ],
        }
        for ds in sorted(DATASETS.values(), key=lambda d: d.name)
    ]
    if as_json:
        emit_json(rows)
        return
    width = max(len(r["name"]) for r in rows)
    click.echo(f"{'NAME':<{width}}  {'SIZE':>9}  {'CACHED':<7}  DESCRIPTION")
    for r in rows:
        click.echo(f"{r['name']:<{width}}  {_human_size(r['size']):>9}  {r['cached']:<7}  {r['description']}")


@data.command("fetch")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--no-extract", is_flag=True, help="Keep archives packed.")
@quiet_option
def data_fetch(name: str, as_json: bool, no_extract: bool) -> None:
    """Fetch dataset NAME (see `kgft data list`) and print its local path(s)."""
    from core.data import fetch

    result = fetch(name, extract=not no_extract)
    if as_json:
        emit_json(result.to_dict())
        return
    for path in result.paths:
        click.echo(str(path))
