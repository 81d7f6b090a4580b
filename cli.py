"""The ``kgft`` command line: the root group and its entry point.

Commands are thin: they parse options, call a pipeline or library function and
print. The command groups live in :mod:`commands` (one module each; shared
options in :mod:`commands.options`) and are registered here. Every
``KgftError`` becomes one readable line on stderr and a non-zero exit
(:class:`commands.options.KgftGroup`); nothing below the CLI layer prints or
exits. Heavy libraries (torch, torch_geometric, neo4j, rdflib) are imported
inside the commands so that ``kgft --help`` stays instant.
"""

from __future__ import annotations

import signal

import click

from commands.annotate import annotate
from commands.data import data
from commands.embed import embed
from commands.explain import explain_cmd, report_cmd
from commands.neo4j import neo4j_group
from commands.ontology import ontology
from commands.options import KgftGroup
from commands.predict import evaluate_cmd, predict_cmd
from commands.query import query
from commands.train import quickstart_cmd, train_cmd
from pipelines.version import kgft_version


@click.group(cls=KgftGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(kgft_version(), "--version", "-V", prog_name="kgft")
def cli() -> None:
    """kgft: bring domain knowledge graphs into model fine-tuning.

    Import an ontology (rdflib or Neo4j), learn entity embeddings with
    torch-geometric, fine-tune a KG-augmented BiLSTM classifier, evaluate it
    and explain its predictions with graph queries.
    """


for command in (data, neo4j_group, ontology, annotate, query, embed, train_cmd, quickstart_cmd, predict_cmd,
                evaluate_cmd, explain_cmd, report_cmd):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point.

    Once the command has ended (its data written or rolled back, its error reported), Ctrl-C is
    ignored: arriving while the interpreter shuts down, it would only print a traceback.
    """
    try:
        cli(prog_name="kgft")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":  # pragma: no cover
    main()
