"""TOML configuration files: read one, refuse unknown keys, lay command-line options over it.

The order is always: the config class's defaults, then the file, then the options
given on the command line (a ``None`` option was not given). ``kgft train``
(:mod:`pipelines.train_config`) and ``kgft embed`` read their files with
:func:`read_toml`; ``kgft embed`` resolves its flat :class:`model.kge.KgeConfig`
with :func:`resolve_settings`.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

from core.errors import ConfigError


def read_toml(path: Path | str) -> dict:
    """The TOML file at ``path`` as a dict.

    Raises:
        ConfigError: missing file or invalid TOML.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc


def refuse_unknown_keys(data: dict, cls, where: str) -> None:
    """Raise if ``data`` has a key that is not a field of the dataclass ``cls``.

    Raises:
        ConfigError: naming the unknown keys and ``where`` they came from.
    """
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{where}: unknown config key(s): {', '.join(unknown)}",
                          hint=f"known keys: {', '.join(known)}")


def resolve_settings(cls, config_file: Path | str | None, overrides: dict):
    """``cls``'s defaults, then the TOML file, then the ``overrides`` that were given (not ``None``).

    Args:
        cls: A flat dataclass of settings (e.g. :class:`model.kge.KgeConfig`).
        config_file (Path or str, optional): A TOML file of ``cls`` fields.
        overrides (dict): Field values; ``None`` means "not given".

    Raises:
        ConfigError: missing or invalid file, unknown keys, bad values.
    """
    where = str(config_file) if config_file else "options"
    data = read_toml(config_file) if config_file else {}
    refuse_unknown_keys(data, cls, where)
    data.update({key: value for key, value in overrides.items() if value is not None})
    refuse_unknown_keys(data, cls, where)
    try:
        return cls(**data)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
