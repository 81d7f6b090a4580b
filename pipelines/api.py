"""kgft's Python API: the workflows of the ``kgft`` command as functions returning result objects.

Import from here (``from pipelines.api import train, TrainConfig``): this module
only re-exports. It is not ``pipelines/__init__.py`` because the functions
``train``, ``embed``, ``explain`` and ``report`` share their names with the
submodules that define them, and because importing them loads torch, which
every ``kgft`` command would then pay for.

=====================  =======================================================
``open_store``         the embedded store (default) or Neo4j; ``store.import_file(path)``
                       imports RDF/OWL/SKOS or OBO (``kgft ontology import``)
``embed``              entity embeddings from a store or a TSV benchmark → ``EmbedResult``
                       (``kgft embed``)
``TrainConfig``        every setting of ``kgft train``
``train``              fine-tune the classifier → ``TrainResult`` (``kgft train``)
``evaluate_run``       a run's best models on a test split → ``EvaluateResult`` (``kgft evaluate``)
``explain``            explanations with graph evidence → ``ExplainResult`` (``kgft explain``);
                       ``render_text`` / ``render_html`` show ``result.to_dict()``
``report``             compare runs → ``ReportResult`` (``kgft report``)
``make_tracker``       TensorBoard/MLflow tracking; ``epoch_logger(tracker)`` is an
                       ``on_epoch_end`` hook for ``train`` and ``embed``
=====================  =======================================================
"""

from kg.open_store import open_store
from pipelines.embed import EmbedResult, embed, load_embedding_run
from pipelines.evaluate import EvaluateResult, evaluate_run
from pipelines.explain import ExplainResult, explain, render_html, render_text
from pipelines.report import ReportResult, report
from pipelines.tracking import Tracker, epoch_logger, log_finished_run, make_tracker
from pipelines.train import TrainResult, train
from pipelines.train_config import TrainConfig

__all__ = [
    "EmbedResult",
    "EvaluateResult",
    "ExplainResult",
    "ReportResult",
    "Tracker",
    "TrainConfig",
    "TrainResult",
    "embed",
    "epoch_logger",
    "evaluate_run",
    "explain",
    "load_embedding_run",
    "log_finished_run",
    "make_tracker",
    "open_store",
    "render_html",
    "render_text",
    "report",
    "train",
]
