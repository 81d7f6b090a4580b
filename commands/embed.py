"""``kgft embed``: learn knowledge-graph embeddings and write them into Neo4j."""

from __future__ import annotations

import os

import click

from commands.options import KgftGroup, quiet_option, store_options, tracker_option


@click.group("embed", cls=KgftGroup, invoke_without_command=True)
@click.option("--triples", "triples_dir", type=click.Path(file_okay=False),
              default=None, help="Benchmark directory with train.txt, valid.txt, test.txt (head<TAB>relation<TAB>tail).")
@store_options
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="TOML file of embedding settings: model.kge.KgeConfig fields, whose defaults apply to "
                   "what neither the file nor an option sets; options given here win.")
@click.option("--model", "model", type=click.Choice(["transe", "distmult", "complex", "rotate", "rgcn"]),
              default=None, help="KGE model.")
@click.option("--dim", type=int, default=None, help="Embedding dimension, per real/imag part.")
@click.option("--epochs", type=int, default=None, help="Maximum epochs; early stopping may end sooner.")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Run directory for embeddings, vocabularies, config, checkpoint and metrics.json.")
@click.option("--neg", "num_negatives", type=int, default=None, help="Negatives per positive triple, K.")
@click.option("--batch-size", type=int, default=None,
              help="Positive triples per step, per process under torchrun.")
@click.option("--lr", type=float, default=None, help="Adam learning rate.")
@click.option("--loss", type=click.Choice(["margin", "softplus", "adversarial", "1vsall"]), default=None,
              help="Loss; default per model (transe: margin, rotate: adversarial, others: softplus).")
@click.option("--negatives", type=click.Choice(["uniform", "typed"]), default=None,
              help="typed: draw half the corruptions from the heads/tails each relation has in training.")
@click.option("--margin", type=float, default=None, help="Margin / gamma of distance models.")
@click.option("--adv-temperature", "adversarial_temperature", type=float, default=None,
              help="Self-adversarial temperature alpha.")
@click.option("--regularizer", type=click.Choice(["none", "l2", "n3"]), default=None,
              help="Embedding regularizer.")
@click.option("--reg-weight", type=float, default=None, help="Regularizer weight.")
@click.option("--sparse/--dense", default=None,
              help="Sparse embedding gradients with row-wise lazy Adam, or dense Adam "
                   "(default: sparse for sampled losses on shallow models when the graph is large "
                   "next to the rows a step touches).")
@click.option("--p-norm", type=float, default=None, help="TransE distance norm, 1 or 2.")
@click.option("--inverse", is_flag=True, default=None, help="Add inverse relations to the training triples.")
@click.option("--include-literals", is_flag=True, default=None,
              help="Store graphs: keep literal-valued triples as edges.")
@click.option("--eval-every", type=int, default=None, help="Validate and checkpoint every N epochs.")
@click.option("--patience", type=int, default=None,
              help="Validations without MRR gain before stopping; 0: never.")
@click.option("--seed", type=int, default=None, help="Random seed: init, sampling, store split.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None,
              help="auto picks CUDA when available.")
@click.option("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its checkpoint.")
@click.option("--write-neo4j", is_flag=True, help="Afterwards set n.embedding on the Neo4j :Resource nodes.")
@tracker_option
@quiet_option
@click.pass_context
def embed(ctx, triples_dir, store_dir, neo4j, config_file, out, resume, write_neo4j, tracker, **options) -> None:
    """Learn entity embeddings (TransE, DistMult, ComplEx, RotatE, R-GCN) with filtered evaluation.

    Give the graph with exactly one of --triples DIR, --store DIR or --neo4j, and
    the run directory with --out. Settings come from the defaults, then --config
    FILE, then the options given. Under `torchrun --nproc_per_node N kgft embed
    ...` N processes train one model (DDP); rank 0 writes the run. `kgft embed
    export-neo4j RUN_DIR` writes a finished run's vectors into Neo4j.
    """
    if ctx.invoked_subcommand is not None:
        return
    sources = [s for s in (triples_dir is not None, store_dir is not None, neo4j) if s]
    if len(sources) != 1:
        raise click.UsageError("give exactly one graph source: --triples DIR, --store DIR or --neo4j")
    if out is None:
        raise click.UsageError("--out RUN_DIR is required")
    from pathlib import Path

    from model.kge import KgeConfig
    from pipelines.config_file import resolve_settings
    from pipelines.embed import embed as run_embed
    from pipelines.tracking import epoch_logger, log_finished_run, make_tracker

    config = resolve_settings(KgeConfig, config_file, options)
    out = Path(out)
    tracking = make_tracker(tracker, out)
    ctx.call_on_close(tracking.close)
    run = dict(config=config, resume=resume, on_epoch_end=epoch_logger(tracking, config.seed), distributed=True)
    if triples_dir is not None:
        result = run_embed(Path(triples_dir), out=out, **run)
    else:
        from kg.open_store import open_store

        store = open_store(store_dir, neo4j, read_only=True)
        extra = {"neo4j": True} if neo4j else {"store_dir": str(Path(store_dir).resolve())}
        try:
            result = run_embed(store, out=out, extra_config=extra, **run)
        finally:
            store.close()
    if os.environ.get("RANK", "0") != "0":  # under torchrun only rank 0 reports
        return
    log_finished_run(tracking, result.config, result.metrics, out)
    m = result.metrics
    click.echo(f"{out}: {result.config['num_entities']} entities, {result.config['num_base_relations']} relations, "
               f"{m['epochs_run']} epochs (best {m['best_epoch']}), {m['triples_per_second']:,.0f} triples/s")
    if "mrr" not in m:
        click.echo(f"test: {m['note']}")
    else:
        click.echo(f"test (filtered, {m['count']} ranks; {m['excluded_unseen']} triples with an entity unseen in "
                   f"training counted as misses): mrr {m['mrr']:.4f}  hits@1 {m['hits@1']:.4f}  "
                   f"hits@3 {m['hits@3']:.4f}  hits@10 {m['hits@10']:.4f}  mean_rank {m['mean_rank']:.1f}")
        if m["excluded_unseen"]:
            click.echo(f"  without those triples: mrr {m['seen_only']['mrr']:.4f}  "
                       f"hits@10 {m['seen_only']['hits@10']:.4f}")
    if write_neo4j:
        from pipelines.embed_neo4j import export_embeddings_neo4j

        res = export_embeddings_neo4j(out)
        click.echo(f"neo4j: {res.matched} nodes got n.{res.property} ({res.missing} IRIs without a node)")


@embed.command("export-neo4j")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--property", "property_name", default="embedding", show_default=True, help="Node property to set.")
@click.option("--batch-size", type=int, default=1000, show_default=True, help="Nodes per UNWIND transaction.")
@quiet_option
def embed_export_neo4j(run_dir, property_name, batch_size) -> None:
    """Set the run's entity vectors as a property of the Neo4j :Resource {uri} nodes."""
    from pipelines.embed_neo4j import export_embeddings_neo4j

    res = export_embeddings_neo4j(run_dir, property_name=property_name, batch_size=batch_size)
    click.echo(f"neo4j: {res.matched} of {res.entities} IRI entities got n.{res.property} "
               f"({res.missing} without a node, {res.skipped} non-IRI entities skipped)")
