"""The training configuration: defaults, TOML files, CLI overrides, validation.

A config file is TOML with one table per part of a run, each handed whole to the
component that owns it (:mod:`pipelines.train_parts`); the top-level keys are
``seeds``, ``seed``, ``device`` and ``threads``::

    seed = 0

    [data]
    dataset = "imdb"
    max_train = 4000

    [model]
    hidden = 64

    [optim]
    epochs = 3

    [knowledge]
    source = "runs/wordnet-transe"

    [channel]
    concept_dim = 32

The tables are ``[data]``, ``[model]``, ``[optim]``, ``[knowledge]``, ``[embed]``,
``[linking]`` and ``[channel]``. Options given on the command line override the
file; they keep their flat names, mapped onto the parts by :data:`FLAT_KEYS`
(``--epochs`` sets ``optim.epochs``, ``--knowledge`` sets ``knowledge.source``,
``--concept-dim`` sets ``channel.concept_dim``). The same table reads older flat
files and the ``config.json`` of older runs (``epochs = 3`` at the top level is
``optim.epochs``) and :meth:`TrainConfig.replace`'s keywords. Unknown keys are an
error naming the key and the file.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field, fields
from pathlib import Path

from core.errors import ConfigError
from core.validation import require_at_least_one
from pipelines.config_file import read_toml
from pipelines.knowledge_channel import ChannelOptions
from pipelines.train_parts import (
    DataOptions,
    EmbedOptions,
    InjectionOptions,
    LinkingOptions,
    ModelOptions,
    OptimOptions,
)


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of ``kgft train``: one part per TOML table, plus the run's seeds and machine.

    Args:
        data (DataOptions): The dataset and its tokens (``[data]``).
        model (ModelOptions): The classifier's architecture (``[model]``).
        optim (OptimOptions): Optimization (``[optim]``).
        knowledge (InjectionOptions): The knowledge source and how it is injected (``[knowledge]``).
        embed (EmbedOptions): The KGE run made when the knowledge source is a store (``[embed]``).
        linking (LinkingOptions): Entity linking (``[linking]``).
        channel (ChannelOptions): The knowledge channel (``[channel]``).
        seeds (int): Independent runs (seeds ``seed .. seed+seeds-1``). (default: ``1``)
        seed (int): First seed. (default: ``0``)
        device (str): ``auto``, ``cpu`` or ``cuda``. (default: ``"auto"``)
        threads (int, optional): ``torch.set_num_threads``. (default: ``None``)

    Each part defaults to its class's defaults.
    """

    data: DataOptions = field(default_factory=DataOptions)
    model: ModelOptions = field(default_factory=ModelOptions)
    optim: OptimOptions = field(default_factory=OptimOptions)
    knowledge: InjectionOptions = field(default_factory=InjectionOptions)
    embed: EmbedOptions = field(default_factory=EmbedOptions)
    linking: LinkingOptions = field(default_factory=LinkingOptions)
    channel: ChannelOptions = field(default_factory=ChannelOptions)
    seeds: int = 1
    seed: int = 0
    device: str = "auto"
    threads: int | None = None

    def __post_init__(self) -> None:
        for name, part in PARTS.items():
            if not isinstance(getattr(self, name), part):
                raise ConfigError(f"{name} must be a [{name}] table of options")
        require_at_least_one(self, ("seeds",))
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"threads must be at least 1, got {self.threads}")

    @property
    def uses_knowledge(self) -> bool:
        """Whether this run injects knowledge (``knowledge.source`` given and not ``knowledge.baseline``)."""
        return self.knowledge.enabled

    @property
    def kind(self) -> str:
        """``baseline``, ``knowledge`` or ``shuffled``."""
        if not self.uses_knowledge:
            return "baseline"
        return "shuffled" if self.knowledge.control == "shuffled" else "knowledge"

    @property
    def uses_channel(self) -> bool:
        """Whether this run builds the knowledge channel."""
        return self.uses_knowledge and self.channel.enabled

    def kge_config(self):
        """The :class:`model.kge.KgeConfig` that embeds a store given as the knowledge source."""
        return self.embed.kge_config(self.device, self.seed, self.threads)

    def to_dict(self) -> dict:
        """Plain dict in the nested form (``None`` values kept; each part as a table)."""
        return {**{name: getattr(self, name) for name in TOP_LEVEL},
                **{name: getattr(self, name).to_dict() for name in PARTS}}

    def replace(self, **changes) -> "TrainConfig":
        """A copy with ``changes`` applied (validated).

        A change is a top-level field, a flat name of :data:`FLAT_KEYS` (``epochs=3``), or
        a part as an instance or as a dict of the options to change (``optim={"epochs": 3}``).

        Raises:
            ConfigError: unknown keys or bad values.
        """
        nested = nest(changes, "overrides")
        try:
            for name in PARTS:
                if isinstance(nested.get(name), dict):
                    nested[name] = dataclasses.replace(getattr(self, name), **nested[name])
            return dataclasses.replace(self, **nested)
        except TypeError as exc:
            raise ConfigError(f"overrides: {exc}") from exc

    @classmethod
    def from_dict(cls, data: dict, where: str = "config") -> "TrainConfig":
        """Build from a nested, flat (older files and runs) or mixed dict, refusing unknown keys.

        Raises:
            ConfigError: unknown keys or bad values.
        """
        nested = nest(data, where)
        try:
            for name, part in PARTS.items():
                if isinstance(nested.get(name), dict):
                    nested[name] = part(**nested[name])
            return cls(**nested)
        except TypeError as exc:
            raise ConfigError(f"{where}: {exc}") from exc


def nest(data: dict, where: str | None = None) -> dict:
    """``data`` with its flat keys moved into their tables (:data:`FLAT_KEYS`).

    Args:
        data (dict): Top-level fields, tables (dicts or part instances) and flat keys.
        where (str, optional): The source, named in errors; ``None`` keeps unknown keys
            (reading an older run's settings). (default: ``None``)

    Returns:
        dict: Top-level fields and one entry per table given (a part instance or a dict).

    Raises:
        ConfigError: unknown keys, or one setting given both flat and in its table.
    """
    out: dict = {}
    flat, unknown = {}, []
    for key, value in data.items():
        if key in PARTS and isinstance(value, (dict, PARTS[key])):
            out[key] = dict(value) if isinstance(value, dict) else value
            if isinstance(value, dict):
                unknown += [f"{key}.{k}" for k in value if k not in _fields(PARTS[key])]
        elif key in TOP_LEVEL:
            out[key] = value
        elif key in FLAT_KEYS:
            flat[key] = value
        else:
            unknown.append(f"{key} (must be a [{key}] table)" if key in PARTS else key)
    for key, value in flat.items():
        part, name = FLAT_KEYS[key]
        table = out.setdefault(part, {})
        if not isinstance(table, dict) or name in table:
            raise ConfigError(f"{where or 'config'}: {key} is given twice, flat and as {part}.{name}",
                              hint=f"keep only {part}.{name} (the [{part}] table)")
        table[name] = value
    if unknown and where is not None:
        raise _unknown_keys(unknown, where)
    if unknown:
        out.update({key: data[key] for key in unknown if key in data})
    return out


def _fields(cls) -> list[str]:
    return [f.name for f in fields(cls)]


def _unknown_keys(unknown: list[str], where: str) -> ConfigError:
    """The error naming ``unknown`` keys, each with the closest known key, and every table's keys."""
    known = [*TOP_LEVEL, *(f"{p}.{n}" for p, cls in PARTS.items() for n in _fields(cls))]
    described = []
    for key in unknown:
        name = key.split(" ")[0]
        close = difflib.get_close_matches(name, [*known, *FLAT_KEYS], n=1, cutoff=0.75)
        if close and close[0] in FLAT_KEYS:
            close = [".".join(FLAT_KEYS[close[0]])]
        described.append(f"{key} (did you mean {close[0]}?)" if close and close[0] != name else key)
    tables = "; ".join(f"[{p}] {', '.join(_fields(cls))}" for p, cls in PARTS.items())
    return ConfigError(f"{where}: unknown config key(s): {', '.join(described)}",
                       hint=f"top-level keys: {', '.join(TOP_LEVEL)}; tables: {tables}")


def saved_settings(train: dict) -> dict:
    """A run's saved settings (``config.json["train"]``: nested, or flat from an older run) by dotted name.

    Returns:
        dict: ``part.field`` (``optim.epochs``) or top-level name → value; keys this version
        does not know are kept as they are.
    """
    out = {}
    for key, value in nest(train).items():
        if key in PARTS and isinstance(value, dict):
            out.update({f"{key}.{name}": v for name, v in value.items()})
        else:
            out[key] = value
    return out


def resolve_config(config_file: Path | str | None, overrides: dict) -> TrainConfig:
    """Defaults, then the file, then the CLI options that were given (non-``None``).

    Args:
        config_file (Path or str, optional): A TOML file (nested tables, or older flat keys).
        overrides (dict): Option values by flat name (:data:`FLAT_KEYS`) or top-level field;
            ``None`` means "not given".

    Returns:
        TrainConfig: The resolved configuration.

    Raises:
        ConfigError: missing file, invalid TOML, unknown keys or bad values.
    """
    where = str(config_file) if config_file else "options"
    data = nest(read_toml(config_file), where) if config_file else {}
    for key, value in nest({k: v for k, v in overrides.items() if v is not None}, "options").items():
        data[key] = {**data.get(key, {}), **value} if key in PARTS else value
    return TrainConfig.from_dict(data, where)


#: The nested parts of a :class:`TrainConfig`: TOML table → options class.
PARTS = {"data": DataOptions, "model": ModelOptions, "optim": OptimOptions, "knowledge": InjectionOptions,
         "embed": EmbedOptions, "linking": LinkingOptions, "channel": ChannelOptions}
#: The top-level fields of a :class:`TrainConfig`.
TOP_LEVEL = ("seeds", "seed", "device", "threads")
#: Parts whose flat names carry the table as a prefix (``embed_dim`` is ``embed.dim``); the
#: other parts' flat names are their field names (``epochs`` is ``optim.epochs``).
PREFIXED = ("embed", "linking", "channel")
#: Flat names that are not derived from the field's name.
RENAMED = {"knowledge": ("knowledge", "source"), "knowledge_control": ("knowledge", "control"),
           "embed_negatives": ("embed", "num_negatives"), "embed_sampling": ("embed", "negatives")}
#: Flat name (CLI option, older flat TOML key, older run's ``config.json`` key) → (table, field).
FLAT_KEYS = {
    **{(f"{part}_{name}" if part in PREFIXED else name): (part, name)
       for part, cls in PARTS.items() for name in _fields(cls) if (part, name) not in RENAMED.values()},
    **RENAMED,
}
