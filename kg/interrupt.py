"""Termination signals as ``KeyboardInterrupt``, and short sections that must not be interrupted.

Python turns Ctrl-C (SIGINT) into ``KeyboardInterrupt``, so ``except``/``finally``
blocks run; SIGTERM (sent by ``timeout``, systemd, container runtimes) and
SIGHUP end the process at once by default. Inside :func:`terminate_as_interrupt`
they raise ``KeyboardInterrupt`` too, so that an import can roll back.
:func:`shielded` holds all three back while a checkpoint, rollback or commit
runs and delivers the first one when it ends, so a Ctrl-C is never lost. Both
only act on the main thread (the only one Python delivers signals to);
elsewhere they do nothing. A signal held back until the work was complete can
be raised again as :class:`LateInterrupt`, which carries the work's result, so
the caller still stops and can say what stands.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


class LateInterrupt(KeyboardInterrupt):
    """A signal that arrived once the work it interrupted was complete: the work stands.

    Args:
        result: What the completed work returns (an import's ``ImportResult``).
    """

    def __init__(self, result) -> None:
        super().__init__("interrupted once the work was complete")
        self.result = result


_TERMINATE = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextmanager
def _handling(handler, signals: tuple) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    try:  # a signal between two installations undoes the first
        for sig in signals:
            previous[sig] = signal.signal(sig, handler)
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def terminate_as_interrupt():
    """Context manager: SIGTERM and SIGHUP raise ``KeyboardInterrupt`` (as SIGINT does)."""
    return _handling(_raise_interrupt, _TERMINATE)


@contextmanager
def shielded() -> Iterator[None]:
    """Context manager: SIGINT, SIGTERM and SIGHUP wait until the block ends (keep it short).

    The first that arrived is then raised again, so the handler outside the block acts on it
    (``KeyboardInterrupt`` for Ctrl-C and, inside :func:`terminate_as_interrupt`, SIGTERM).
    """
    held: list[int] = []
    try:
        with _handling(lambda signum, frame: held.append(signum), (signal.SIGINT, *_TERMINATE)):
            yield
    finally:
        if held:
            signal.raise_signal(held[0])
