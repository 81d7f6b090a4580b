"""``kgft explain`` and ``kgft report``: explain a run's predictions, compare runs."""

from __future__ import annotations

import json

import click

from commands.options import emit_json, quiet_option, store_options


@click.command("explain")
@click.argument("run_dir", type=click.Path(path_type=str))
@click.argument("text", required=False)
@click.option("--file", "text_file", type=click.File("r", encoding="utf-8"), default=None,
              help="Explain every non-empty line of FILE ('-' for stdin) instead of TEXT.")
@store_options
@click.option("--top", "top_k", type=click.IntRange(min=1), default=5, show_default=True,
              help="Top tokens listed and entities searched in the graph.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True,
              help="text: terminal view; json: schema kgft.explain/1; html: a self-contained page.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write to this file (atomically) instead of stdout.")
@click.option("--class-map", "class_map", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="TOML/JSON file mapping class labels to concept IRIs (default: shipped map for the dataset).")
@click.option("--steps", "n_steps", type=click.IntRange(min=1), default=50, show_default=True,
              help="Integrated-gradients steps (Gauss-Legendre nodes).")
@click.option("--seed", type=int, default=None, help="Which seed's model of a multi-seed run (default: the first).")
@quiet_option
def explain_cmd(run_dir, text, text_file, store_dir, neo4j, top_k, fmt, output, class_map, n_steps, seed) -> None:
    """Explain a trained run's prediction for TEXT (or each line of --file).

    Shows class probabilities, token attributions (integrated gradients on the
    embedding layer, with the completeness delta), the linked entities and
    their share of the attribution, shortest paths in the ontology from the
    top entities to the predicted class's concepts (SPARQL on the embedded
    store, Cypher on Neo4j), and the prediction again without the top
    entity's knowledge. Graph evidence comes from --store DIR or --neo4j,
    else from the embedded store the run's knowledge was built from.
    """
    from pathlib import Path

    if (text is None) == (text_file is None):
        raise click.UsageError("give either TEXT or --file FILE (exactly one)")
    texts = [text] if text is not None else [line.strip() for line in text_file if line.strip()]
    from pipelines.explain import explain, render_html, render_text

    result = explain(run_dir, texts, store_dir=store_dir, neo4j=neo4j,
                     class_map=Path(class_map) if class_map else None, top_k=top_k, n_steps=n_steps, seed=seed)
    doc = result.to_dict()
    if fmt == "json":
        out = json.dumps(doc, indent=2, ensure_ascii=False)
    elif fmt == "html":
        out = render_html(doc)
    else:
        out = render_text(doc, color=output is None)
    if output and fmt == "json":
        result.save(output)
        click.echo(f"wrote {output}", err=True)
    elif output:
        from core.fsutil import write_text_atomic

        write_text_atomic(output, out if out.endswith("\n") else out + "\n")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(out.rstrip("\n"))


@click.command("report")
@click.argument("run_dirs", nargs=-1, type=click.Path(path_type=str))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=str), default="kgft-report",
              show_default=True, help="Directory for report.md, summary.json and the PNG plots.")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json instead of the Markdown.")
def report_cmd(run_dirs, out_dir, as_json) -> None:
    """Compare baseline, KG and shuffled-KG training runs (the knowledge-lift study).

    RUN_DIRS are `kgft train --out` directories, or directories holding them
    (such as the output of bench/knowledge_lift.py). Runs of one dataset,
    training fraction and arm are pooled over seeds (runs of a dataset capped
    at several training sizes, `max_train`, are labelled `NAME (cap N)` and
    compared apart). Writes the mean ± std
    table as Markdown (for BENCHMARKS.md), summary.json, accuracy against
    training fraction and the per-class F1 change as PNG, and prints the
    Markdown with the gap to each target and any shuffled-control warning.
    """
    from pipelines.report import report

    result = report(list(run_dirs), out_dir)
    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(result.markdown().rstrip("\n"))
    click.echo(f"report of {len(result.runs)} runs written to {out_dir}", err=True)
