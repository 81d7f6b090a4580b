"""A study's cells in worker processes: ``bench/knowledge_lift.py --jobs N``.

Each cell (a dataset at a training fraction, its three arms) trains in a process of its own,
``bench/knowledge_lift.py --cell DATASET:FRACTION`` with the study's other options, at most
``jobs`` at a time, larger fractions first (the longest cells start early). A worker's output goes
to ``OUT/logs/<dataset>-f<percent>.log``. The runs a worker finishes are the study's run
directories, so the study then reads them as finished (and an interrupted study resumes them).
Stopping the study (Ctrl-C, SIGTERM) stops its workers.
"""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

from core.errors import DataError
from kg.interrupt import terminate_as_interrupt

logger = logging.getLogger("knowledge_lift")

#: Seconds between checks on the running workers.
POLL_S = 1.0


def cell_name(dataset: str, fraction: float) -> str:
    """The name of a cell's log file (and of the cell in messages)."""
    return f"{dataset}-f{round(fraction * 100):03d}"


def run_workers(cells: list[tuple[str, float]], command: list[str], jobs: int, log_dir: Path) -> None:
    """Train ``cells`` in at most ``jobs`` worker processes at a time.

    Args:
        cells (list[tuple[str, float]]): ``(dataset, fraction)`` of each cell.
        command (list[str]): The worker command without its cell (``--cell D:F`` is appended).
        jobs (int): Workers at a time.
        log_dir (Path): Where each worker's output goes.

    Raises:
        DataError: a worker failed (the others run to their end first; finished runs are kept).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    pending = sorted(cells, key=lambda cell: -cell[1])
    running: dict[str, tuple[subprocess.Popen, object, float]] = {}
    failed = []
    with terminate_as_interrupt():  # SIGTERM too reaches the finally below
        try:
            _schedule(pending, running, failed, command, jobs, log_dir)
        finally:
            for process, log, _ in running.values():
                process.terminate()
                process.wait()
                log.close()
    if failed:
        raise DataError(f"study cell(s) {', '.join(failed)} failed",
                        hint=f"see {log_dir}/<cell>.log; rerun the study to resume")


def _schedule(pending: list[tuple[str, float]], running: dict, failed: list[str], command: list[str], jobs: int,
              log_dir: Path) -> None:
    """Start workers while there are cells and room; note the ones that end, until all have."""
    while pending or running:
        while pending and len(running) < jobs:
            dataset, fraction = pending.pop(0)
            name = cell_name(dataset, fraction)
            log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115 (closed when the worker ends)
            process = subprocess.Popen([*command, "--cell", f"{dataset}:{fraction!r}"], stdout=log,
                                       stderr=subprocess.STDOUT)
            running[name] = (process, log, time.perf_counter())
            logger.info("cell %s: started in worker process %d", name, process.pid)
        time.sleep(POLL_S)
        for name, (process, log, started) in list(running.items()):
            if process.poll() is None:
                continue
            log.close()
            del running[name]
            minutes = (time.perf_counter() - started) / 60
            if process.returncode:
                failed.append(name)
                logger.info("cell %s: failed after %.1f min (exit %d)", name, minutes, process.returncode)
            else:
                logger.info("cell %s: done in %.1f min", name, minutes)
