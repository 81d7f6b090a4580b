"""``kgft annotate``: apply, list, remove, export and suggest expert annotations."""

from __future__ import annotations

import pathlib

import click

from commands.options import KgftGroup, emit_json, quiet_option, store_options


@click.group(cls=KgftGroup)
def annotate() -> None:
    """Apply, list, remove and export expert annotations (embedded store or Neo4j; format: README, Annotations)."""


@annotate.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path))
@click.option("--allow-new", is_flag=True, help="Accept link/class concepts the store holds no statement about.")
@click.option("--min-score", type=float, default=None, metavar="S",
              help="Apply only the rows scored at least S (proposals of `annotate suggest`); the rest are skipped.")
@store_options
def annotate_apply(file, allow_new, min_score, store_dir, neo4j) -> None:
    """Check the whole FILE, then write its rows with provenance (or nothing); applying it again changes nothing."""
    from kg.annotations.apply import apply_file
    from kg.annotations.min_score import scored_view
    from kg.open_store import open_store

    with scored_view(file, min_score) as target, open_store(store_dir, neo4j) as store:
        res = apply_file(store, target, allow_new=allow_new)
    click.echo(f"{res.source}: {res.rows} rows, {res.added} new, {res.removed} removed, "
               f"{res.triples_added} triples added")


@annotate.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@store_options
def annotate_list(as_json, store_dir, neo4j) -> None:
    """List every annotation with its source file, line, author and time."""
    from kg.annotations.backends import stored_annotations
    from kg.open_store import open_store

    with open_store(store_dir, neo4j, read_only=True) as store:
        rows = [stored.as_dict() for stored in stored_annotations(store)]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        statement = " ".join(filter(None, (row["subject"], row["predicate"], row["object"] or "*")))
        click.echo(f"{row['source']}:{row['line']}\t{row['kind']}\t{statement}\t{row['author']}")


@annotate.command("remove")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path))
@click.option("--source", metavar="NAME", help="Remove every annotation applied from the file named NAME.")
@store_options
def annotate_remove(file, source, store_dir, neo4j) -> None:
    """Remove the annotations of FILE's rows, or (--source) of every row applied from a file name."""
    from kg.annotations.apply import remove_file, remove_source
    from kg.open_store import open_store

    if (file is None) == (source is None):
        raise click.UsageError("give exactly one of FILE or --source NAME")
    with open_store(store_dir, neo4j) as store:
        removed = remove_file(store, file) if file is not None else remove_source(store, source)
    click.echo(f"{removed} annotations removed")


@annotate.command("export")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=pathlib.Path),
              help="The annotation file to write (CSV when it ends in .csv, else TSV).")
@store_options
def annotate_export(output, store_dir, neo4j) -> None:
    """Write every annotation of the store as one annotation file (apply it to another store)."""
    from kg.annotations.backends import export_annotations
    from kg.open_store import open_store

    with open_store(store_dir, neo4j, read_only=True) as store:
        n = export_annotations(store, output)
    click.echo(f"{output}: {n} rows")


@annotate.command("suggest")
@click.option("--dataset", required=True, help="imdb, mr, ohsumed, or a CSV/TSV/JSONL file (as kgft train).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=pathlib.Path),
              help="The annotation file of proposals (TSV, or CSV when it ends in .csv).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the dataset's splits (as kgft train).")
@click.option("--max-links", type=click.IntRange(min=0), default=200, show_default=True, help="link rows at most.")
@click.option("--min-df", type=click.IntRange(min=1), default=3, show_default=True,
              help="Training texts a phrase must occur in.")
@click.option("--run", "run_dir", type=click.Path(file_okay=False, path_type=pathlib.Path), default=None,
              help="A trained run: its class alignment, and with --pool the model that picks texts to label.")
@click.option("--pool", type=str, default=None,
              help="Unlabelled texts (CSV/TSV/JSONL or one per line, as kgft predict): with --run, pick the ones to label.")
@click.option("--strategy", type=click.Choice(["margin", "entropy", "random"]), default="margin", show_default=True,
              help="How --pool texts are picked: least margin, highest entropy, or a seeded random sample.")
@click.option("--select", "n_select", type=click.IntRange(min=1), default=50, show_default=True,
              help="Pool texts to pick.")
@click.option("--pool-output", type=click.Path(dir_okay=False, path_type=pathlib.Path), default=None,
              help="CSV of the picked texts (default: OUTPUT with .to-label.csv).")
@click.option("--text-column", default="text", show_default=True, help="Text column of a tabular --pool.")
@click.option("--embedding", type=click.Path(file_okay=False, path_type=pathlib.Path), default=None,
              help="An embedding run of the store (kgft embed): concepts near in its vectors join the graph context.")
@store_options
@quiet_option
def annotate_suggest(dataset, store_dir, neo4j, output, seed, max_links, min_df, run_dir, pool, strategy, n_select,
                     pool_output, text_column, embedding) -> None:
    """Propose link and class annotations (with a score and a reason) for an expert to review, then apply.

    With --run and --pool, also write the pool texts the run is least sure about, ready to be labelled.
    """
    from kg.annotations.suggest_links import LinkOptions
    from pipelines.suggest import suggest

    if pool is not None and run_dir is None:
        raise click.UsageError("--pool needs --run (the trained model that scores the pool)")
    if store_dir is None and not neo4j:
        from core.settings import default_store_dir

        store_dir = default_store_dir()
    res = suggest(dataset, store_dir, output, seed=seed, run_dir=run_dir, neo4j=neo4j,
                  link_options=LinkOptions(max_rows=max_links, min_df=min_df), embedding=embedding)
    click.echo(res.summary())
    if pool is not None:
        from pipelines.active_learning import select_pool

        target = pool_output or output.with_name(output.stem + ".to-label.csv")
        picked = select_pool(run_dir, pool, target, n=n_select, strategy=strategy, text_column=text_column,
                             seed=seed)
        click.echo(picked.summary())
