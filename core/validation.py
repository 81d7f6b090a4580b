"""Shared checks of configuration values (raising :class:`core.errors.ConfigError`)."""

from __future__ import annotations

import math
from typing import Any, Iterable

from core.errors import ConfigError


def require_at_least_one(config: Any, names: Iterable[str], *, dashed: bool = True) -> None:
    """Check that each named attribute of ``config`` is at least 1.

    Args:
        config (Any): An object with the attributes (usually a config dataclass).
        names (Iterable[str]): Attribute names to check, in order.
        dashed (bool): Name the option in the message as a CLI flag (``batch-size``)
            rather than as the attribute (``batch_size``). (default: ``True``)

    Raises:
        ConfigError: the first attribute that is below 1 (message names it and its value).
    """
    for name in names:
        value = getattr(config, name)
        if int(value) < 1:
            label = name.replace("_", "-") if dashed else name
            raise ConfigError(f"{label} must be at least 1, got {value}")


def require_choice(value: Any, choices: Iterable[Any], what: str) -> None:
    """Check that ``value`` is one of ``choices``.

    Args:
        value (Any): The configured value.
        choices (Iterable[Any]): The allowed values, listed in the hint.
        what (str): What the value is, for the message (``"pooling"``).

    Raises:
        ConfigError: ``unknown WHAT 'value'``, with the choices as the hint.
    """
    choices = tuple(choices)
    if value not in choices:
        raise ConfigError(f"unknown {what} {value!r}", hint=f"choose one of {', '.join(map(str, choices))}")


def require_fraction(part: str, name: str, value, low_open: bool = False, high_open: bool = False) -> None:
    """Check that ``value`` is a finite number in ``[0, 1]``, with the ends opened as asked.

    Args:
        part (str): The configuration part, for the message (``"data"``).
        name (str): The option's name in that part.
        value: The configured value.
        low_open (bool): Exclude 0. (default: ``False``)
        high_open (bool): Exclude 1. (default: ``False``)

    Raises:
        ConfigError: ``PART.NAME must be in [0, 1), got VALUE`` (the interval as asked).
    """
    ok = isinstance(value, (int, float)) and math.isfinite(value) and \
        (0 < value if low_open else 0 <= value) and (value < 1 if high_open else value <= 1)
    if not ok:
        interval = f"{'(' if low_open else '['}0, 1{')' if high_open else ']'}"
        raise ConfigError(f"{part}.{name} must be in {interval}, got {value}")


def require_non_negative(part: str, names: tuple[str, ...], options) -> None:
    """Check that each named attribute of ``options`` is a finite number >= 0.

    Args:
        part (str): The configuration part, for the message (``"optim"``).
        names (tuple[str, ...]): Attribute names to check, in order.
        options: An object with the attributes (usually a config dataclass).

    Raises:
        ConfigError: the first value that is negative, infinite or not a number.
    """
    for name in names:
        value = getattr(options, name)
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ConfigError(f"{part}.{name} must be a finite number >= 0, got {value}")
