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
import sys

import click

from kg.errors import KgftError


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("kgft")
    except Exception:  # noqa: BLE001 - running from a source tree without install
        return "0.1.0+src"


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


def emit_json(obj) -> None:
    """Print ``obj`` as indented JSON."""
    click.echo(json.dumps(obj, indent=2, sort_keys=False, default=str))


@click.group(cls=KgftGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), "--version", "-V", prog_name="kgft")
def cli() -> None:
    """kgft: bring domain knowledge graphs into model fine-tuning.

    Import an ontology (rdflib or Neo4j), learn entity embeddings with
    torch-geometric, fine-tune a KG-augmented BiLSTM classifier, evaluate it
    and explain its predictions with graph queries.
    """


# ---------------------------------------------------------------- data ----


# ---------------------------------------------------------------- neo4j ---


# ---------------------------------------------------------------- ontology -


# ---------------------------------------------------------------- query ---


# ---------------------------------------------------------------- embed ---


# ---------------------------------------------------------------- train / evaluate


# ---------------------------------------------------------------- explain / report


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="kgft")


if __name__ == "__main__":  # pragma: no cover
    main()
