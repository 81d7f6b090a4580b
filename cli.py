"""The ``kgft`` command line.

Commands are thin: they parse options, call a pipeline or library function and
print. This is the only module that turns kgft errors into exit codes: every
``KgftError`` becomes one readable line on stderr and a non-zero exit. Heavy
libraries (torch, torch_geometric, neo4j, rdflib) are imported inside the
commands so that ``kgft --help`` stays instant.
"""

from __future__ import annotations

import functools
import json
import os
import pathlib

import click

from kg.errors import KgftError
from pipelines.version import kgft_version


class KgftGroup(click.Group):
    """A click group that reports kgft errors as one line, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KgftError as exc:
            raise click.ClickException(exc.user_message()) from None
        except KeyboardInterrupt:
            raise click.ClickException("interrupted") from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - last resort: one line, not a traceback
            if os.environ.get("KGFT_DEBUG"):
                raise
            raise click.ClickException(
                f"internal error: {type(exc).__name__}: {exc} (set KGFT_DEBUG=1 for a traceback)"
            ) from None


def quiet_option(func):
    """``--quiet``: silence progress bars."""

    @click.option("--quiet", "-q", is_flag=True, help="Silence progress bars.")
    @functools.wraps(func)
    def wrapper(*args, quiet: bool = False, **kwargs):
        if quiet:
            from kg.progress import set_quiet

            set_quiet(True)
        return func(*args, **kwargs)

    return wrapper


def tracker_option(func):
    """``--tracker``: where per-epoch and final metrics go (pipelines.tracking)."""
    from pipelines.tracking import TRACKERS

    return click.option(
        "--tracker", type=click.Choice(TRACKERS), default="auto", show_default=True,
        help="Experiment tracking: TensorBoard event files in OUT/tensorboard (auto: when installed), "
             "an MLflow run (MLFLOW_TRACKING_URI, default OUT/mlruns), or none.",
    )(func)


def store_options(func=None, *, allow_neo4j: bool = True):
    """Click decorator adding ``--store DIR`` and (optionally) ``--neo4j``.

    The command receives ``store_dir`` (``Path`` or ``None``) and ``neo4j``
    (``bool``) and calls :func:`kg.open_store.open_store` with them. Giving both
    options is a usage error (exit code 2, one line).

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
            type=click.Path(file_okay=False, path_type=pathlib.Path),
            default=None,
            help="Embedded store directory (default: $KGFT_HOME/store).",
        )(wrapped)

    return decorate(func) if func is not None else decorate


def emit_json(obj) -> None:
    """Print ``obj`` as indented JSON."""
    click.echo(json.dumps(obj, indent=2, sort_keys=False, default=str))


@click.group(cls=KgftGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(kgft_version(), "--version", "-V", prog_name="kgft")
def cli() -> None:
    """kgft: bring domain knowledge graphs into model fine-tuning.

    Import an ontology (rdflib or Neo4j), learn entity embeddings with
    torch-geometric, fine-tune a KG-augmented BiLSTM classifier, evaluate it
    and explain its predictions with graph queries.
    """


# ---------------------------------------------------------------- data ----


def _human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


@cli.group(cls=KgftGroup)
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
    from kg.data import DATASETS, cache_state

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
    from kg.data import fetch

    result = fetch(name, extract=not no_extract)
    if as_json:
        emit_json(result.to_dict())
        return
    for path in result.paths:
        click.echo(str(path))



# ---------------------------------------------------------------- neo4j ---


@cli.group("neo4j")
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


# ---------------------------------------------------------------- ontology -


@cli.group(cls=KgftGroup)
def ontology() -> None:
    """Import, convert, inspect and export ontologies (embedded store or Neo4j)."""


def _store_label(store_dir, neo4j: bool) -> str:
    if neo4j:
        return "neo4j"
    from kg.settings import default_store_dir

    return str(store_dir or default_store_dir())


@ontology.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", default=None, help="RDF format (turtle, nt, nquads, trig, rdfxml, jsonld) or obo; default: from the extension or content.")
@click.option("--base", "base_iri", default=None, metavar="IRI", help="Base IRI for relative IRIs (@base/xml:base in a file still apply); default: the file's file:// URI.")
@store_options
@quiet_option
def ontology_import(files, fmt, base_iri, store_dir, neo4j) -> None:
    """Import RDF/OWL/SKOS or OBO FILES (optionally .gz); re-importing a file adds nothing.

    An OBO file gives the triples of the ontology's OWL release (OBO Foundry
    PURLs, rdfs:label, oboInOwl synonyms and xrefs, rdfs:subClassOf).

    Embedded store: each file all-or-nothing. Neo4j: resumable after a crash.
    """
    from pathlib import Path

    from kg.open_store import open_store

    store = open_store(store_dir, neo4j)
    try:
        for name in files:
            res = store.import_file(Path(name), format=fmt, base_iri=base_iri)
            rate = res.triples_read / res.seconds if res.seconds > 0 else 0.0
            click.echo(
                f"{name}: {res.triples_read} triples read, {res.triples_added} added "
                f"({res.format}, {res.seconds:.2f}s, {rate:,.0f} triples/s)"
            )
        click.echo(f"{_store_label(store_dir, neo4j)}: {store.count()} triples")
    finally:
        store.close()


@ontology.group("convert", cls=KgftGroup)
def ontology_convert() -> None:
    """Convert shipped terminologies (MeSH tree, opinion lexicon, WN18RR TSV) to Turtle."""


def _convert_command(name: str, doc: str, func_name: str):
    @ontology_convert.command(name, help=doc)
    @click.argument("src", type=click.Path(exists=True))
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Output Turtle file.")
    def command(src, output) -> None:
        from pathlib import Path

        import kg.convert as conv

        res = getattr(conv, func_name)(Path(src), Path(output))
        click.echo(f"{output}: {res.triples} triples, {res.concepts} concepts ({res.seconds:.2f}s)")

    return command


_convert_command(
    "mesh-tree", "MeSH tree file (Tree Number/Desc Ui/Term TSV) to SKOS concepts with skos:broader.", "convert_mesh_tree"
)
_convert_command(
    "opinion-lexicon", "Hu & Liu opinion lexicon (directory or positive/negative-words.txt) to SKOS.", "convert_opinion_lexicon"
)
_convert_command(
    "triples-tsv", "WN18RR-style head/relation/tail TSV (file or train/valid/test directory) to RDF.", "convert_triples_tsv"
)


@ontology.command("stats")
@store_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def ontology_stats(store_dir, neo4j, as_json) -> None:
    """Count triples, classes, individuals, properties, labelled entities and predicates."""
    from kg.open_store import open_store

    store = open_store(store_dir, neo4j, read_only=True)
    try:
        stats = store.stats()
    finally:
        store.close()
    if as_json:
        emit_json(stats)
        return
    for key in ("triples", "classes", "individuals", "properties", "labelled"):
        click.echo(f"{key:<12} {stats.get(key, 0):>12,}")
    predicates = stats.get("predicates", {})
    if predicates:
        click.echo("predicates:")
        for pred, n in sorted(predicates.items(), key=lambda kv: -kv[1]):
            click.echo(f"  {n:>12,}  {pred}")


@ontology.command("export")
@store_options
@click.option("--format", "fmt", default="nt", show_default=True, help="Output format: nt, nquads, turtle, trig, rdfxml, jsonld.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, allow_dash=True), help="Output file (written atomically; a symlink's target is replaced, a device or FIFO written in place), or - for stdout.")
@quiet_option
def ontology_export(store_dir, neo4j, fmt, output) -> None:
    """Write every triple of the store to a file, or to stdout with -o -."""
    from kg.export import STDOUT, export_store
    from kg.open_store import open_store

    store = open_store(store_dir, neo4j, read_only=True)
    try:
        n = export_store(store, output, fmt)
    finally:
        store.close()
    click.echo(f"{output}: {n} triples", err=output == STDOUT)


@ontology.command("align")
@store_options
@click.option("--max-group", type=click.IntRange(min=2), default=20, show_default=True, help="Skip labels shared by more entities than this (hubs).")
@click.option("--namespace", "namespaces", multiple=True, metavar="IRI", help="Only entities under this namespace, each one source. Repeatable; default: all, by IRI namespace.")
@click.option("--predicate", "predicates", multiple=True, metavar="IRI", help="Label predicate to compare. Repeatable; default: labels and synonyms.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def ontology_align(store_dir, neo4j, max_group, namespaces, predicates, as_json) -> None:
    """Link entities of different sources sharing a normalized label with skos:closeMatch.

    E.g. the opinion lexicon's word "good" and WordNet's good.a.01, so that
    explanations can walk from WordNet to a polarity concept. Re-running adds nothing.
    """
    from kg.align import align_labels
    from kg.open_store import open_store
    from kg.store_protocol import LABEL_PREDICATES

    store = open_store(store_dir, neo4j)
    try:
        res = align_labels(store, predicates or LABEL_PREDICATES, namespaces, max_group)
    finally:
        store.close()
    if as_json:
        emit_json(res.to_dict())
    else:
        click.echo(f"{_store_label(store_dir, neo4j)}: {res.summary()} ({res.seconds:.2f}s)")


# ------------------------------------------------------------- annotate ---


@cli.group(cls=KgftGroup)
def annotate() -> None:
    """Apply, list, remove and export expert annotations (embedded store; file format: README, Annotations)."""


@annotate.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path))
@click.option("--allow-new", is_flag=True, help="Accept link/class concepts the store holds no statement about.")
@store_options(allow_neo4j=False)
def annotate_apply(file, allow_new, store_dir, neo4j) -> None:
    """Check the whole FILE, then write its rows with provenance (or nothing); applying it again changes nothing."""
    from kg.annotations.apply import apply_file
    from kg.open_store import open_store

    with open_store(store_dir) as store:
        res = apply_file(store, file, allow_new=allow_new)
    click.echo(f"{res.source}: {res.rows} rows, {res.added} new, {res.removed} removed, "
               f"{res.triples_added} triples added")


@annotate.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@store_options(allow_neo4j=False)
def annotate_list(as_json, store_dir, neo4j) -> None:
    """List every annotation with its source file, line, author and time."""
    from kg.annotations.graph import stored_annotations
    from kg.open_store import open_store

    with open_store(store_dir, read_only=True) as store:
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
@store_options(allow_neo4j=False)
def annotate_remove(file, source, store_dir, neo4j) -> None:
    """Remove the annotations of FILE's rows, or (--source) of every row applied from a file name."""
    from kg.annotations.apply import remove_file, remove_source
    from kg.open_store import open_store

    if (file is None) == (source is None):
        raise click.UsageError("give exactly one of FILE or --source NAME")
    with open_store(store_dir) as store:
        removed = remove_file(store, file) if file is not None else remove_source(store, source)
    click.echo(f"{removed} annotations removed")


@annotate.command("export")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=pathlib.Path),
              help="The annotation file to write (CSV when it ends in .csv, else TSV).")
@store_options(allow_neo4j=False)
def annotate_export(output, store_dir, neo4j) -> None:
    """Write every annotation of the store as one annotation file (apply it to another store)."""
    from kg.annotations.graph import export_annotations
    from kg.open_store import open_store

    with open_store(store_dir, read_only=True) as store:
        n = export_annotations(store, output)
    click.echo(f"{output}: {n} rows")


# ---------------------------------------------------------------- query ---


@cli.group(cls=KgftGroup)
def query() -> None:
    """Run read-only SPARQL (embedded store) or Cypher (Neo4j) queries with parameters."""


@query.command("sparql")
@click.argument("query_text", metavar="QUERY")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind ?NAME to VALUE (<iri>, prefix:name, number, or text). Repeatable.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True, help="Output format.")
@click.option("--write", is_flag=True, help="Allow SPARQL UPDATE (INSERT/DELETE/LOAD/CLEAR/DROP/CREATE).")
@click.option("--timeout", type=click.FloatRange(min=0), default=60.0, show_default=True, metavar="SECONDS",
              help="Stop a query running longer than this (0: no limit). Ctrl-C and SIGTERM stop it too.")
@click.option("--allow-service", is_flag=True, help="Allow federated SERVICE (and LOAD): requests to other servers.")
@store_options(allow_neo4j=False)
def query_sparql(query_text, params, fmt, write, timeout, allow_service, store_dir, neo4j) -> None:
    """Run a SPARQL QUERY (text, or @FILE) on the embedded store.

    Queries share the store with other readers; they never reach the network
    unless --allow-service is given.
    """
    from kg.query import format_result, read_query_text, run_sparql
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
    from kg.neo4j_store.query import format_cypher, run_cypher
    from kg.query import read_query_text

    text = read_query_text(query_text)
    with Neo4jStore() as store:
        result = run_cypher(store, text, params, write=write)
    click.echo(format_cypher(result, fmt), nl=False)
    if result.counters:
        click.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in result.counters.items()), err=True)


# ---------------------------------------------------------------- embed ---


@cli.group("embed", cls=KgftGroup, invoke_without_command=True)
@click.option("--triples", "triples_dir", type=click.Path(file_okay=False),
              default=None, help="Benchmark directory with train.txt, valid.txt, test.txt (head<TAB>relation<TAB>tail).")
@store_options
@click.option("--model", "model_name", type=click.Choice(["transe", "distmult", "complex", "rotate", "rgcn"]),
              default="transe", show_default=True, help="KGE model.")
@click.option("--dim", type=int, default=100, show_default=True, help="Embedding dimension (per real/imag part).")
@click.option("--epochs", type=int, default=100, show_default=True, help="Maximum epochs (early stopping may end sooner).")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Run directory for embeddings, vocabularies, config, checkpoint and metrics.json.")
@click.option("--neg", type=int, default=16, show_default=True, help="Negatives per positive triple (K).")
@click.option("--batch-size", type=int, default=1000, show_default=True, help="Positive triples per step.")
@click.option("--lr", type=float, default=0.01, show_default=True, help="Adam learning rate.")
@click.option("--loss", type=click.Choice(["margin", "softplus", "adversarial", "1vsall"]), default=None,
              help="Loss; default per model (transe: margin, rotate: adversarial, others: softplus).")
@click.option("--negatives", type=click.Choice(["uniform", "typed"]), default="uniform", show_default=True,
              help="typed: draw half the corruptions from the heads/tails each relation has in training.")
@click.option("--margin", type=float, default=1.0, show_default=True, help="Margin / gamma of distance models.")
@click.option("--adv-temperature", type=float, default=1.0, show_default=True, help="Self-adversarial temperature alpha.")
@click.option("--regularizer", type=click.Choice(["none", "l2", "n3"]), default="none", show_default=True,
              help="Embedding regularizer.")
@click.option("--reg-weight", type=float, default=0.0, show_default=True, help="Regularizer weight.")
@click.option("--sparse/--dense", default=None,
              help="Sparse embedding gradients with row-wise lazy Adam, or dense Adam "
                   "(default: sparse from 10,000 entities for sampled losses on shallow models).")
@click.option("--p-norm", type=float, default=1.0, show_default=True, help="TransE distance norm (1 or 2).")
@click.option("--inverse", is_flag=True, help="Add inverse relations to the training triples.")
@click.option("--include-literals", is_flag=True, help="Store graphs: keep literal-valued triples as edges.")
@click.option("--eval-every", type=int, default=10, show_default=True, help="Validate and checkpoint every N epochs.")
@click.option("--patience", type=int, default=5, show_default=True, help="Validations without MRR gain before stopping (0: never).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (init, sampling, store split).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="auto picks CUDA when available.")
@click.option("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its checkpoint.")
@click.option("--write-neo4j", is_flag=True, help="Afterwards set n.embedding on the Neo4j :Resource nodes.")
@tracker_option
@quiet_option
@click.pass_context
def embed(ctx, triples_dir, store_dir, neo4j, model_name, dim, epochs, out, neg, batch_size, lr, loss, negatives, margin,
          adv_temperature, regularizer, reg_weight, sparse, p_norm, inverse, include_literals, eval_every, patience,
          seed, device, threads, resume, write_neo4j, tracker) -> None:
    """Learn entity embeddings (TransE, DistMult, ComplEx, RotatE, R-GCN) with filtered evaluation.

    Give the graph with exactly one of --triples DIR, --store DIR or --neo4j, and
    the run directory with --out. `kgft embed export-neo4j RUN_DIR` writes a
    finished run's vectors into Neo4j.
    """
    if ctx.invoked_subcommand is not None:
        return
    sources = [s for s in (triples_dir is not None, store_dir is not None, neo4j) if s]
    if len(sources) != 1:
        raise click.UsageError("give exactly one graph source: --triples DIR, --store DIR or --neo4j")
    if out is None:
        raise click.UsageError("--out RUN_DIR is required")
    from pathlib import Path

    from pipelines.embed import embed as run_embed
    from pipelines.tracking import epoch_logger, log_finished_run, make_tracker

    out = Path(out)
    tracking = make_tracker(tracker, out)
    ctx.call_on_close(tracking.close)
    options = dict(num_negatives=neg, batch_size=batch_size, lr=lr, loss=loss, negatives=negatives, margin=margin,
                   adversarial_temperature=adv_temperature, regularizer=regularizer, reg_weight=reg_weight,
                   sparse=sparse, p_norm=p_norm, inverse=inverse, include_literals=include_literals,
                   eval_every=eval_every, patience=patience, seed=seed, on_epoch_end=epoch_logger(tracking, seed))
    if triples_dir is not None:
        result = run_embed(Path(triples_dir), model_name, dim, epochs, out, device=device, resume=resume,
                           threads=threads, **options)
    else:
        from kg.open_store import open_store

        store = open_store(store_dir, neo4j, read_only=True)
        extra = {"neo4j": True} if neo4j else {"store_dir": str(Path(store_dir).resolve())}
        try:
            result = run_embed(store, model_name, dim, epochs, out, device=device, resume=resume,
                               threads=threads, extra_config=extra, **options)
        finally:
            store.close()
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


# ---------------------------------------------------------------- train / evaluate


def _train_summary_line(metrics: dict) -> str:
    acc, f1 = metrics["accuracy"], metrics["macro_f1"]
    if metrics.get("seeds", 1) > 1:
        return (f"accuracy {acc:.4f} ± {metrics['accuracy_std']:.4f}  macro-F1 {f1:.4f} ± "
                f"{metrics['macro_f1_std']:.4f}  ({metrics['seeds']} seeds)")
    return f"accuracy {acc:.4f}  macro-F1 {f1:.4f}"


@cli.command("train")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="TOML file of training settings (keys as the long options, '-' as '_').")
@click.option("--dataset", default=None, help="imdb, mr, ohsumed, or a CSV/TSV/JSONL file or dataset directory.")
@click.option("--knowledge", default=None,
              help="Embedding run (kgft embed --out) or embedded store (embedded first with a short KGE run).")
@click.option("--baseline", is_flag=True, default=None, help="Train without knowledge (the control run).")
@click.option("--knowledge-control", type=click.Choice(["none", "shuffled"]), default=None,
              help="'shuffled': the same entity vectors permuted across entities (seeded).")
@click.option("--init/--no-init", default=None,
              help="Ablation: also initialize linked tokens' embeddings from entity vectors (default off).")
@click.option("--reg-weight", type=float, default=None,
              help="Ablation: weight of the token-level graph regularizer (default 0, off).")
@click.option("--joint", is_flag=True, default=None, help="Also train the KGE model with its own loss.")
@click.option("--projection", type=click.Choice(["fixed", "learned"]), default=None,
              help="Entity-to-token projection: fixed random orthogonal or learned.")
@click.option("--seeds", type=int, default=None, help="Independent runs; metrics report mean and std.")
@click.option("--seed", type=int, default=None, help="First seed (default 0).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="Training device.")
@click.option("--epochs", type=int, default=None, help="Maximum epochs (early stopping on validation).")
@click.option("--batch-size", type=int, default=None, help="Examples per step.")
@click.option("--lr", type=float, default=None, help="AdamW learning rate.")
@click.option("--max-len", type=int, default=None, help="Tokens kept per text.")
@click.option("--truncate", type=click.Choice(["head", "tail"]), default=None,
              help="Keep the first (head, default) or last (tail) --max-len tokens of longer texts.")
@click.option("--embedding-dim", type=int, default=None, help="Token embedding size.")
@click.option("--hidden", type=int, default=None, help="LSTM hidden size per direction.")
@click.option("--pooling", type=click.Choice(["last", "max", "mean"]), default=None,
              help="Document vector: final LSTM states (default), or max/mean over its outputs.")
@click.option("--class-weight", type=click.Choice(["none", "balanced"]), default=None,
              help="balanced: weigh rare classes up in the loss (default none).")
@click.option("--lr-schedule", type=click.Choice(["cosine", "constant"]), default=None,
              help="cosine (warm-up then decay, default) or constant learning rate.")
@click.option("--embedding-dropout", type=float, default=None, help="Dropout on the BiLSTM's input vectors.")
@click.option("--channel/--no-channel", "channel_enabled", default=None,
              help="The knowledge channel: concepts and their ancestors beside each word, a bag of ancestors "
                   "beside the head (default on for knowledge runs).")
@click.option("--concept-dim", "channel_concept_dim", type=int, default=None, help="Concept vector size.")
@click.option("--ancestor-depth", "channel_ancestor_depth", type=int, default=None,
              help="Parent hops followed from a linked concept.")
@click.option("--vote", "channel_vote", type=float, default=None,
              help="Initial weight from each class's concept to its class (0: none).")
@click.option("--channel-reg", "channel_reg", type=float, default=None,
              help="Weight of the pull of concept vectors toward the graph's.")
@click.option("--channel-lr-scale", "channel_lr_scale", type=float, default=None,
              help="Learning-rate multiplier of the channel's concept vectors and bag weights.")
@click.option("--channel-init", "channel_init", type=click.Choice(["graph", "random"]), default=None,
              help="Concept vectors from the graph embedding (default) or random (ablation).")
@click.option("--class-map", "channel_class_map", type=click.Path(dir_okay=False, exists=True, path_type=str),
              default=None, help="Class-to-concept map (TOML/JSON); default the one shipped for the dataset.")
@click.option("--max-entity-share", "linking_max_entity_share", type=float, default=None,
              help="Drop entities linked in more than this share of training texts (generic concepts).")
@click.option("--text-column", default=None, help="Text column of a CSV/TSV/JSONL dataset (default 'text').")
@click.option("--label-column", default=None, help="Label column of a CSV/TSV/JSONL dataset (default 'label').")
@click.option("--train-fraction", type=float, default=None, help="Share of the training split to use.")
@click.option("--max-train", type=int, default=None, help="Cap on training examples.")
@click.option("--max-test", type=int, default=None, help="Cap on test examples.")
@click.option("--threads", type=int, default=None, help="CPU threads for torch.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=str), required=True,
              help="Run directory to create (or continue with --resume).")
@click.option("--resume", is_flag=True, help="Continue the interrupted run in --out with its saved settings.")
@tracker_option
@quiet_option
def train_cmd(config_file, out, resume, tracker, **options) -> None:
    """Fine-tune the BiLSTM classifier, with or without knowledge from the graph.

    Writes config, vocabulary, checkpoints (every epoch), metrics.json and PNG
    curves into --out. Ctrl-C saves a checkpoint; --resume continues it.
    """
    from pathlib import Path

    from pipelines.tracking import epoch_logger, log_finished_run, make_tracker
    from pipelines.train import train
    from pipelines.train_config import resolve_config

    config = resolve_config(config_file, options)
    tracking = make_tracker(tracker, out)
    try:
        result = train(config, Path(out), resume=resume, on_epoch_end=epoch_logger(tracking, config.seed))
        log_finished_run(tracking, result.config, result.metrics, result.run_dir)
    except KeyboardInterrupt:
        raise click.ClickException(f"interrupted: a checkpoint was saved; continue with "
                                   f"`kgft train --out {out} --resume`") from None
    finally:
        tracking.close()
    if os.environ.get("RANK", "0") == "0":  # under torchrun only rank 0 reports
        click.echo(f"{result.config['kind']} run in {out}: {_train_summary_line(result.metrics)}")


@cli.command("quickstart")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=str), default="runs/main", show_default=True,
              help="Work directory: store, embedding run, baseline and knowledge runs.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True, path_type=str), default=None,
              help="Training TOML (default: the shipped pipelines/quickstart.toml).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="Training device.")
@click.option("--max-train", type=int, default=None, help="Cap on training reviews.")
@click.option("--epochs", type=int, default=None, help="Maximum epochs.")
@quiet_option
def quickstart_cmd(out, config_file, device, max_train, epochs) -> None:
    """The main job: IMDB with the opinion lexicon + WordNet vs the baseline.

    Fetches the data, converts and imports both ontologies into an embedded
    store, embeds it, trains the baseline and the KG-augmented classifier and
    prints their test accuracy side by side. Reruns reuse finished steps.
    """
    from pipelines.quickstart import quickstart

    result = quickstart(out, config_file, {"device": device, "max_train": max_train, "epochs": epochs})
    click.echo(result.table())


@cli.command("predict")
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


@cli.command("evaluate")
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
        click.echo(f"{result.dataset}: {_train_summary_line(result.metrics)} ({path})")




# ---------------------------------------------------------------- explain / report


@cli.command("explain")
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
        from kg.fsutil import write_text_atomic

        write_text_atomic(output, out if out.endswith("\n") else out + "\n")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(out.rstrip("\n"))


@cli.command("report")
@click.argument("run_dirs", nargs=-1, type=click.Path(path_type=str))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=str), default="kgft-report",
              show_default=True, help="Directory for report.md, summary.json and the PNG plots.")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json instead of the Markdown.")
def report_cmd(run_dirs, out_dir, as_json) -> None:
    """Compare baseline, KG and shuffled-KG training runs (the knowledge-lift study).

    RUN_DIRS are `kgft train --out` directories, or directories holding them
    (such as the output of bench/knowledge_lift.py). Runs of one dataset,
    training fraction and arm are pooled over seeds. Writes the mean ± std
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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="kgft")


if __name__ == "__main__":  # pragma: no cover
    main()
