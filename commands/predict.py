"""``kgft predict`` and ``kgft evaluate``: use and test a trained run."""

from __future__ import annotations

import click

from commands.options import emit_json, quiet_option, train_summary_line


@click.command("predict")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=str))
@click.argument("input_path", metavar="INPUT", type=str)
@click.option("-o", "--output", required=True,
              help="Predictions: a .csv or .jsonl file, or - (JSONL on standard output).")
@click.option("--text-column", default="text", show_default=True, help="Text column of CSV/TSV/JSONL input.")
@click.option("--seed", type=int, default=None, help="Which seed's best model (default: the run's first).")
@click.option("--entities", is_flag=True, help="Also write the graph entities linked in each text.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", help="Device.")
@quiet_option
def predict_cmd(run_dir, input_path, output, text_column, seed, entities, device) -> None:
    """Predict labels for INPUT (CSV/TSV/JSONL, text lines, or - for stdin) with a trained run.

    Streams the input in batches through the run's own tokenizer, linker and
    knowledge; writes the predicted label and every class probability.
    """
    from pipelines.predict import predict_texts

    result = predict_texts(run_dir, input_path, output, text_column=text_column, seed=seed, entities=entities,
                           device=device, progress_bar=output != "-")
    if output != "-":
        counts = ", ".join(f"{k} {v}" for k, v in result.label_counts.items())
        click.echo(f"{result.texts} texts predicted in {result.seconds:.1f} s ({result.texts_per_s:.0f}/s): "
                   f"{counts} -> {output}")


@click.command("evaluate")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=str))
@click.option("--dataset", default=None, help="Dataset to test on (default: the run's own).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", help="Device.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@quiet_option
def evaluate_cmd(run_dir, dataset, device, as_json) -> None:
    """Evaluate a trained run's best models on a test split (writes evaluation-<dataset>.json)."""
    from pipelines.evaluate import evaluate_run

    result = evaluate_run(run_dir, dataset, device)
    path = result.save()
    if as_json:
        emit_json(result.metrics)
    else:
        click.echo(f"{result.dataset}: {train_summary_line(result.metrics)} ({path})")
