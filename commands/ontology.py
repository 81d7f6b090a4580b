"""``kgft ontology``: import, convert, inspect, export and align ontologies."""

from __future__ import annotations

import click

from commands.options import KgftGroup, emit_json, quiet_option, store_options


@click.group(cls=KgftGroup)
def ontology() -> None:
    """Import, convert, inspect and export ontologies (embedded store or Neo4j)."""


def _store_label(store_dir, neo4j: bool) -> str:
    if neo4j:
        return "neo4j"
    from core.settings import default_store_dir

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

    from kg.interrupt import LateInterrupt
    from kg.open_store import open_store

    store = open_store(store_dir, neo4j)
    done: list[str] = []
    current = None
    try:
        for name in files:
            current, late = name, None
            try:
                res = store.import_file(Path(name), format=fmt, base_iri=base_iri)
            except LateInterrupt as exc:  # the signal came once the file was imported whole
                res, late = exc.result, exc
            current = None
            done.append(name)
            _echo_import(name, res)
            if late is not None:
                raise late
        click.echo(f"{_store_label(store_dir, neo4j)}: {store.count()} triples")
    except KeyboardInterrupt:
        raise click.ClickException(_interrupted_import(files, done, current, neo4j)) from None
    finally:
        store.close()


def _echo_import(name: str, res) -> None:
    if res.extra.get("skipped"):
        click.echo(f"{name}: already imported ({res.triples_read} triples, unchanged since), 0 added "
                   f"({res.format}, {res.seconds:.2f}s)")
        return
    rate = res.triples_read / res.seconds if res.seconds > 0 else 0.0
    click.echo(
        f"{name}: {res.triples_read} triples read, {res.triples_added} added "
        f"({res.format}, {res.seconds:.2f}s, {rate:,.0f} triples/s)"
    )


def _interrupted_import(files, done: list[str], current: str | None, neo4j: bool) -> str:
    """One line saying what an interrupted ``ontology import`` left: which files stand, which do not."""
    parts = ["interrupted"]
    if current is not None:
        parts[0] += f" while importing {current}: " + (
            "run the import again to resume it from its last committed batch" if neo4j
            else "not imported, the store is as it was before it")
    if done:
        parts.append(f"imported whole: {', '.join(done)}")
    untouched = files[len(done) + (current is not None):]
    if untouched:
        parts.append(f"not started: {', '.join(untouched)}")
    return "; ".join(parts)


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
