"""Batch prediction throughput: whole process through ``kgft predict``, and in-process first and warm passes.

For each run directory given, on the same texts (one per line):

* whole process: ``kgft predict RUN TEXTS -o OUT.csv -q`` timed from outside
  (process start, loading the run, linking, the channel, writing);
* in-process: :func:`pipelines.explain.run.load_run`, then the text pipeline
  (:meth:`TextEncoder.analyse_many` + :meth:`TrainedRun.encode_linked`) and
  :func:`model.train.predict_proba` over all texts twice: the first pass, and a
  warm one (the per-token normalization cache filled).

Run with one torch thread to measure one core::

    OMP_NUM_THREADS=1 .venv/bin/python bench/predict.py RUN [RUN ...] --texts mr_test.txt
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a source checkout
    sys.path.insert(0, str(REPO))


def whole_process(run_dir: Path, texts: Path) -> dict:
    """Wall and CPU seconds of ``kgft predict`` as a child process."""
    kgft = shutil.which("kgft") or str(Path(sys.executable).with_name("kgft"))
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([kgft, "predict", str(run_dir), str(texts), "-o", str(Path(tmp) / "out.csv"), "-q"],
                       check=True, capture_output=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall_s": round(wall, 2), "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime
                                                      - before.ru_stime, 2)}


def in_process(run_dir: Path, lines: list[str]) -> dict:
    """Load time, then texts/s of a first and a warm pass (wall and CPU)."""
    import torch

    from model.train import predict_proba
    from pipelines.explain.run import load_run

    start = time.perf_counter()
    run = load_run(run_dir, None)
    out = {"load_s": round(time.perf_counter() - start, 2)}
    for name in ("first", "warm"):
        wall, cpu = time.perf_counter(), time.process_time()
        split = run.encode_linked(run.encoder.analyse_many(lines))
        predict_proba(run.classifier, split, torch.device("cpu"))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        out[name] = {"texts_per_s_wall": round(len(lines) / wall), "texts_per_s_cpu": round(len(lines) / cpu)}
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="kgft train run directories")
    parser.add_argument("--texts", type=Path, required=True, help="one text per line")
    args = parser.parse_args(argv)
    lines = [line for line in args.texts.read_text(encoding="utf-8").splitlines() if line.strip()]
    report = {"texts": len(lines), "threads": os.environ.get("OMP_NUM_THREADS"), "loadavg": os.getloadavg(),
              "runs": {str(run): {"whole_process": whole_process(run, args.texts), "in_process": in_process(run, lines)}
                       for run in args.runs}}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
