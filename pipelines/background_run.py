"""A training run in a process of its own, beside the caller's work (the main job's baseline).

``kgft quickstart`` trains the baseline, which needs no knowledge, while the
knowledge graph is embedded and the knowledge run trains: on a CPU with a core
to spare the job then takes about the time of its longest chain, not of every
step in turn. The run is the one :func:`pipelines.train.train` writes (so it
resumes like any other); its metrics or its error come back to the caller.
Stopping the caller (Ctrl-C, SIGTERM, an error) stops the run:
:meth:`BackgroundRun.stop`; a caller killed outright stops it too (the run
watches for its parent). A stopped run saves its checkpoint first.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from pathlib import Path

from core.cores import available_cores
from core.errors import KgftError

logger = logging.getLogger(__name__)

#: Seconds a stopped run gets to save its checkpoint and exit before it is killed.
STOP_GRACE_S = 30.0
#: Seconds between a run's checks that the process which started it is still there.
ORPHAN_POLL_S = 1.0


def fits_beside(config) -> bool:
    """Whether a run of ``config`` can train beside another on this machine without slowing it.

    Only on a CPU, with at least twice the run's torch threads among the cores this process may
    use (``threads`` must be set: without it torch takes every core in each process).
    """
    from model.train.distributed import resolve_device

    return (bool(config.threads) and available_cores() >= 2 * int(config.threads)
            and resolve_device(config.device).type == "cpu")


def _stop_when_orphaned(parent: int) -> None:
    """Watch, on a daemon thread, for the end of process ``parent``; then SIGTERM this process."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_POLL_S)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="kgft-orphan-watch", daemon=True).start()


def _train(config, path: str, conn, parent: int | None = None) -> None:
    """The spawned process: train, send back ``("ok", metrics, seconds)`` or the exception.

    Ctrl-C in a terminal reaches every process of the job; this one leaves it to the caller, whose
    :meth:`BackgroundRun.stop` then sends one SIGTERM (a second interrupt could cut short the
    checkpoint the first one saves). A caller killed outright (SIGKILL) cannot: with ``parent``
    (its process id) the run sends itself that SIGTERM once its parent is gone.
    """
    from core.progress import set_quiet
    from kg.interrupt import terminate_as_interrupt
    from pipelines.train import train

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_quiet(True)  # the caller's progress bars own the terminal
    if parent is not None:
        _stop_when_orphaned(parent)
    start = time.perf_counter()
    with terminate_as_interrupt():
        try:
            conn.send(("ok", train(config, Path(path), resume=True).metrics, time.perf_counter() - start))
        except KeyboardInterrupt:
            conn.send(("interrupted", None, None))
        except Exception as exc:  # noqa: BLE001 - raised again by the caller, as it would be in one process
            try:
                conn.send(("error", exc, None))
            except (pickle.PicklingError, TypeError, AttributeError):  # an exception that does not pickle
                conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}"), None))


class BackgroundRun:
    """:func:`pipelines.train.train` of ``config`` into ``path``, with ``resume=True``, in a spawned process.

    Args:
        config: The run's :class:`pipelines.train_config.TrainConfig`.
        path (Path or str): Its run directory.
    """

    def __init__(self, config, path: Path | str) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe(duplex=False)
        self.process = context.Process(target=_train, args=(config, str(path), child, os.getpid()), name="kgft-run")
        self.process.start()
        child.close()
        self.seconds: float | None = None
        logger.info("training %s in process %d", path, self.process.pid)

    def result(self) -> dict:
        """Wait for the run; its metrics.

        Raises:
            Exception: the run's own exception (a :class:`~core.errors.KgftError` for bad input).
            KgftError: the process ended without an answer.
            KeyboardInterrupt: the run was interrupted.
        """
        try:
            status, value, seconds = self._conn.recv()
        except EOFError:
            self.process.join()
            raise KgftError(f"the training process ended without a result (exit code {self.process.exitcode})",
                            hint="run `kgft train` with the same settings to see why") from None
        self.process.join()
        if status == "interrupted":
            raise KeyboardInterrupt
        if status == "error":
            raise value
        self.seconds = seconds
        return value

    def stop(self) -> None:
        """Stop the run if it is still training (it saves its checkpoint first) and wait for it."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(STOP_GRACE_S)
            if self.process.is_alive():
                self.process.kill()
        self.process.join()
