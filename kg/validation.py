"""Shared checks of configuration values (raising :class:`kg.errors.ConfigError`)."""

from __future__ import annotations

from typing import Any, Iterable

from kg.errors import ConfigError


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
