"""What every kgft command shares: the error-reporting group, common options, JSON output."""

from __future__ import annotations

import functools
import json
import os
import pathlib

import click

from core.errors import KgftError


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
            from core.progress import set_quiet

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


def train_summary_line(metrics: dict) -> str:
    """Accuracy and macro-F1 of a run's metrics, with their std over seeds when there are several."""
    acc, f1 = metrics["accuracy"], metrics["macro_f1"]
    if metrics.get("seeds", 1) > 1:
        return (f"accuracy {acc:.4f} ± {metrics['accuracy_std']:.4f}  macro-F1 {f1:.4f} ± "
                f"{metrics['macro_f1_std']:.4f}  ({metrics['seeds']} seeds)")
    return f"accuracy {acc:.4f}  macro-F1 {f1:.4f}"
