"""The main job: a KG-augmented IMDB run against its baseline, set up by kgft itself.

``kgft quickstart`` (``make main``) runs these named steps, each through the
same library code as the corresponding ``kgft`` command:

1. ``fetch``: IMDB, the Hu & Liu opinion lexicon and WN18RR through the data
   registry (``KGFT_DATA_MIRROR`` or the upstream URLs);
2. ``convert``: opinion lexicon → SKOS Turtle, WN18RR TSV → RDF Turtle
   (``kgft ontology convert``);
3. ``import``: both files into one embedded store (``kgft ontology import``);
   ``align``: WordNet synsets linked by ``skos:closeMatch`` to the lexicon
   words with the same label (``kgft ontology align``), so that WordNet-only
   words reach a polarity concept;
4. ``embed``: a short TransE run over the store (``kgft embed``);
5. ``baseline`` and ``knowledge``: ``kgft train`` without and with the
   knowledge, identical otherwise (the config's settings); on a CPU with a
   core to spare (``threads`` set, at least twice as many cores) the baseline
   trains in a process of its own from the start, beside ``embed`` and
   ``knowledge`` (:mod:`pipelines.background_run`), and its step time is its
   own run's;

and prints baseline versus knowledge accuracy side by side, with the paired
95% confidence interval of the difference and McNemar's test on the same test
reviews (:mod:`pipelines.paired`). Every step
reuses its output when it already exists, and training resumes, so running
it again (or after Ctrl-C) continues instead of starting over.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from kg.interrupt import terminate_as_interrupt
from pipelines.background_run import BackgroundRun, fits_beside
from pipelines.run_dir import RunDir, write_json
from pipelines.train_config import resolve_config

logger = logging.getLogger(__name__)

DEFAULT_CONFIG = Path(__file__).resolve().with_name("quickstart.toml")


@dataclass
class QuickstartResult:
    """Baseline and knowledge results of the main job.

    Args:
        out (Path): Work directory.
        runs (dict[str, dict]): ``baseline`` / ``knowledge`` → aggregated test metrics.
        steps (dict[str, float]): Seconds per step.
        knowledge (dict): The embedding run and linker coverage used.
        wall_s (float): Total wall time.
        comparison (dict): Knowledge minus baseline on the same test reviews
            (:class:`pipelines.paired.PairedComparison` as a dict).
    """

    out: Path
    runs: dict = field(default_factory=dict)
    steps: dict = field(default_factory=dict)
    knowledge: dict = field(default_factory=dict)
    wall_s: float = 0.0
    comparison: dict = field(default_factory=dict)

    def table(self) -> str:
        """Baseline versus knowledge, side by side (mean ± standard deviation over the seeds)."""
        b, k = self.runs["baseline"], self.runs["knowledge"]
        seeds = b.get("seeds", 1)
        title = "IMDB test" + (f", mean ± std of {seeds} seeds" if seeds > 1 else "")
        lines = [f"{title:<32}{'baseline':>18}{'knowledge':>18}{'diff':>10}"]
        for key in ("accuracy", "macro_f1"):
            cells = [f"{r[key]:.4f}" + (f" ± {r[key + '_std']:.4f}" if seeds > 1 else "") for r in (b, k)]
            lines.append(f"{key:<32}{cells[0]:>18}{cells[1]:>18}{k[key] - b[key]:>+10.4f}")
        if self.comparison:
            c = self.comparison
            paired = c.get("seeds", 1) > 1
            lines.append(f"knowledge - baseline accuracy {c['diff']:+.4f}, 95% CI {c['ci_low']:+.4f} .. "
                         f"{c['ci_high']:+.4f} (paired bootstrap over {c['examples']} test reviews"
                         + (f" x {c['seeds']} seeds" if paired else "") + f"), McNemar p={c['mcnemar_p']:.2g}"
                         + (" (first seeds)" if paired else ""))
        cov = self.knowledge.get("coverage") or {}
        if cov:
            lines.append(f"linked: {cov['document_share']:.1%} of reviews, {cov['token_share']:.1%} of tokens, "
                         f"{cov['distinct_entities']} entities")
        lines.append(f"wall time {self.wall_s:.0f} s (" + ", ".join(f"{k} {v:.0f}s" for k, v in self.steps.items())
                     + f"); runs in {self.out}")
        return "\n".join(lines)

    def save(self, out: Path | str | None = None) -> Path:
        """Write ``quickstart.json`` into the work directory."""
        out = Path(out or self.out)
        return write_json(out / "quickstart.json", {"runs": self.runs, "steps": self.steps,
                                                    "knowledge": self.knowledge, "comparison": self.comparison,
                                                    "wall_s": self.wall_s})


class _Timer:
    def __init__(self, result: QuickstartResult) -> None:
        self.result = result

    def __call__(self, name: str):
        timer = self

        class _Step:
            def __enter__(self):
                logger.info("step %s ...", name)
                self.start = time.perf_counter()

            def __exit__(self, *exc):
                timer.result.steps[name] = round(time.perf_counter() - self.start, 1)

        return _Step()


def fetch_sources() -> dict[str, Path]:
    """Local paths of the opinion lexicon directory and the WN18RR triples directory."""
    from core.data import fetch

    lexicon = fetch("opinion-lexicon")
    wordnet = fetch("wn18rr")
    return {"opinion-lexicon": lexicon.path("positive-words.txt").parent,
            "wn18rr": wordnet.path("train.txt").parent}


def build_store(sources: dict[str, Path], out: Path) -> Path:
    """Convert both sources to Turtle and import them into ``out/store`` (once)."""
    from kg.convert import convert_opinion_lexicon, convert_triples_tsv
    from kg.open_store import open_store

    store_dir = out / "store"
    done = out / "ontology" / "imported.json"
    if done.is_file():
        return store_dir
    files = {"opinion-lexicon": out / "ontology" / "opinion-lexicon.ttl", "wn18rr": out / "ontology" / "wn18rr.ttl"}
    files["opinion-lexicon"].parent.mkdir(parents=True, exist_ok=True)
    convert_opinion_lexicon(sources["opinion-lexicon"], files["opinion-lexicon"])
    convert_triples_tsv(sources["wn18rr"], files["wn18rr"])
    store = open_store(store_dir)
    try:
        imported = {name: store.import_file(path).triples_added for name, path in files.items()}
        imported["total"] = store.count()
    finally:
        store.close()
    write_json(done, imported)
    return store_dir


def align_store(store_dir: Path, out: Path) -> dict:
    """Align the store's labels across sources (``kgft ontology align``) once; returns the counts."""
    from kg.align import align_labels
    from kg.open_store import open_store

    done = out / "ontology" / "aligned.json"
    if done.is_file():
        return json.loads(done.read_text(encoding="utf-8"))
    store = open_store(store_dir)
    try:
        facts = align_labels(store).to_dict()
    finally:
        store.close()
    write_json(done, facts)
    return facts


def _start_baseline(config, out: Path) -> BackgroundRun | None:
    """The baseline in a process of its own when it has yet to train and a core is free for it."""
    if RunDir(out / "baseline").is_finished() or not fits_beside(config):
        return None
    return BackgroundRun(config, out / "baseline")


def _embed_and_train(config, store_dir: Path, embedding: Path, result: QuickstartResult, step: _Timer) -> None:
    """The ``embed``, ``baseline`` and ``knowledge`` steps, the baseline beside the other two when it can."""
    from pipelines.knowledge import embed_store, is_embedding_run
    from pipelines.train import finished_or_trained

    out = result.out
    with terminate_as_interrupt():  # SIGTERM too stops the baseline's process (finally below)
        background = _start_baseline(config, out)
        try:
            with step("embed"):
                if not is_embedding_run(embedding):
                    embed_store(store_dir, embedding, config.kge_config())
            if background is None:
                with step("baseline"):
                    result.runs["baseline"] = finished_or_trained(config, out / "baseline")[0]
            with step("knowledge"):
                result.runs["knowledge"] = finished_or_trained(config.replace(knowledge=str(embedding)),
                                                               out / "knowledge")[0]
            if background is not None:
                result.runs["baseline"] = background.result()
                result.steps["baseline"] = round(background.seconds, 1)
        finally:
            if background is not None:
                background.stop()


def quickstart(out: Path | str, config_file: Path | str | None = None, overrides: dict | None = None) -> QuickstartResult:
    """Run the main job into ``out``.

    Args:
        out (Path or str): Work directory (store, embedding, both training runs).
        config_file (Path or str, optional): Training TOML; default ``pipelines/quickstart.toml`` (shipped in the package).
        overrides (dict, optional): Options by flat name (``epochs``, ``max_train``,
            :data:`pipelines.train_config.FLAT_KEYS`) that win over the file; ``None`` is not given.

    Returns:
        QuickstartResult: Saved as ``out/quickstart.json``.
    """
    import torch

    from model.train import configure_cpu

    start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = resolve_config(config_file or DEFAULT_CONFIG, overrides or {}).replace(knowledge=None, baseline=False)
    configure_cpu()
    if config.threads:
        torch.set_num_threads(int(config.threads))
    result = QuickstartResult(out)
    step = _Timer(result)
    with step("fetch"):
        sources = fetch_sources()
    with step("import"):
        store_dir = build_store(sources, out)
    with step("align"):
        aligned = align_store(store_dir, out)
    embedding = out / "embedding"
    _embed_and_train(config, store_dir, embedding, result, step)
    from pipelines.paired import compare, correctness

    result.comparison = compare(correctness(out / "knowledge"), correctness(out / "baseline")).to_dict()
    coverage_file = RunDir(out / "knowledge").coverage
    result.knowledge = {"embedding_run": str(embedding), "aligned_pairs": aligned["pairs"],
                        "kge_metrics": json.loads((embedding / "metrics.json").read_text(encoding="utf-8")),
                        "coverage": json.loads(coverage_file.read_text(encoding="utf-8"))
                        if coverage_file.is_file() else None}
    result.knowledge["kge_metrics"] = {k: result.knowledge["kge_metrics"].get(k) for k in ("mrr", "hits@10")}
    result.wall_s = round(time.perf_counter() - start, 1)
    result.save()
    return result
