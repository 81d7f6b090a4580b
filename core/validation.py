"""Shared checks of configuration values (raising :class:`core.errors.ConfigError`)."""

from __future__ import annotations

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
