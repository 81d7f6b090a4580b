"""The CPU cores this process may use."""

from __future__ import annotations

import os


def available_cores() -> int:
    """The cores this process may run on (``taskset`` and container CPU sets count, unlike
    :func:`os.cpu_count`)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
