"""Which ontology concepts stand for each class label: class maps (TOML or JSON).

A class map tells ``kgft explain`` where to look in the graph for evidence of
a predicted class. Its file form (TOML shown; JSON has the same keys)::

    name = "sentiment"
    description = "pos/neg labels to the opinion lexicon's polarity concepts"
    datasets = ["imdb", "mr"]          # used as the default for these datasets

    [prefixes]                          # optional CURIE prefixes for [classes]
    lex = "https://kgft.example/lexicon/"

    [paths]                             # optional; see kg.evidence.paths.PathPolicy
    direction = "any"                   # or "forward" (subject -> object only)
    max_hops = 4
    max_paths = 3
    exclude_predicates = ["http://www.w3.org/2004/02/skos/core#inScheme"]

    [classes]                           # class label -> concept IRI(s) or CURIE(s)
    pos = ["lex:Positive"]
    neg = "lex:Negative"

kgft ships defaults in ``ontologies/class_maps/`` (Ohsumed → MeSH disease
categories, sentiment datasets → polarity concepts); ``--class-map FILE``
replaces them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from core.errors import ConfigError, DataError, ParseError
from kg.evidence.paths import PathPolicy

_TOP_KEYS = {"name", "description", "datasets", "prefixes", "paths", "classes"}
_PATH_KEYS = {"direction", "max_hops", "max_paths", "max_nodes", "exclude_predicates"}
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")


@dataclass
class ClassMap:
    """Class label → concept IRIs, plus the path-search policy for this ontology.

    Args:
        name (str): A short name.
        classes (dict[str, list[str]]): Concept IRIs per class label.
        policy (PathPolicy): How paths are searched. (default: ``PathPolicy()``)
        datasets (tuple[str, ...]): Datasets this map is the default for. (default: ``()``)
        description (str): Free text. (default: ``""``)
        source (str): The file it was read from, or ``"labels"`` when derived. (default: ``""``)
    """

    name: str
    classes: dict[str, list[str]]
    policy: PathPolicy = field(default_factory=PathPolicy)
    datasets: tuple[str, ...] = ()
    description: str = ""
    source: str = ""

    def concepts_for(self, label: str) -> list[str]:
        """The concepts of class ``label`` (exact label first, then case-insensitive)."""
        if label in self.classes:
            return list(self.classes[label])
        folded = {k.casefold(): v for k, v in self.classes.items()}
        return list(folded.get(str(label).casefold(), []))

    def to_dict(self) -> dict:
        """JSON form (for the explanation's ``graph`` section)."""
        return {
            "name": self.name,
            "source": self.source,
            "direction": self.policy.direction,
            "max_hops": self.policy.max_hops,
        }


def _read(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"class map file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read class map {path}: {exc}") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(path, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_POS.search(str(exc))
        reason = _TOML_POS.sub("", str(exc)).strip()
        line, col = (int(m.group(1)), int(m.group(2))) if m else (None, None)
        raise ParseError(path, f"not valid TOML: {reason}", line, col) from None


def _expand(value: str, prefixes: dict[str, str], path: Path, label: str) -> str:
    head, sep, rest = value.partition(":")
    iri = prefixes[head] + rest if sep and head in prefixes else value
    if not _IRI.match(iri):
        raise ConfigError(
            f"{path}: class {label!r} maps to {value!r}, which is not an IRI",
            hint="use a full IRI or a CURIE whose prefix is declared under [prefixes]",
        )
    return iri


def parse_class_map(data: dict, path: Path) -> ClassMap:
    """Validate the parsed content of a class-map file.

    Args:
        data (dict): The parsed TOML/JSON.
        path (Path): The file (for messages).

    Returns:
        ClassMap: The map.

    Raises:
        ConfigError: unknown keys, wrong types, empty classes, values that are not IRIs.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a class map must be a table/object at the top level")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown class-map key(s) {', '.join(unknown)}", hint=f"known: {sorted(_TOP_KEYS)}")
    prefixes = data.get("prefixes", {})
    paths = data.get("paths", {})
    classes = data.get("classes")
    if not isinstance(prefixes, dict) or not all(isinstance(v, str) for v in prefixes.values()):
        raise ConfigError(f"{path}: [prefixes] must map names to IRI strings")
    if not isinstance(paths, dict):
        raise ConfigError(f"{path}: [paths] must be a table")
    bad = sorted(set(paths) - _PATH_KEYS)
    if bad:
        raise ConfigError(f"{path}: unknown [paths] key(s) {', '.join(bad)}", hint=f"known: {sorted(_PATH_KEYS)}")
    if not isinstance(classes, dict) or not classes:
        raise ConfigError(f"{path}: a class map needs a non-empty [classes] table")
    mapped: dict[str, list[str]] = {}
    for label, value in classes.items():
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise ConfigError(f"{path}: class {label!r} must map to an IRI or a non-empty list of IRIs")
        mapped[str(label)] = [_expand(v, prefixes, path, label) for v in values]
    policy_args = dict(paths)
    if "exclude_predicates" in policy_args:
        excl = policy_args["exclude_predicates"]
        if not isinstance(excl, list) or not all(isinstance(v, str) for v in excl):
            raise ConfigError(f"{path}: [paths] exclude_predicates must be a list of IRIs")
        policy_args["exclude_predicates"] = tuple(_expand(v, prefixes, path, "exclude_predicates") for v in excl)
    datasets = data.get("datasets", [])
    if not isinstance(datasets, list) or not all(isinstance(d, str) for d in datasets):
        raise ConfigError(f"{path}: datasets must be a list of dataset names")
    try:
        policy = PathPolicy(**policy_args)
    except ConfigError as exc:
        raise ConfigError(f"{path}: [paths] {exc.message}", hint=exc.hint) from None
    return ClassMap(
        name=str(data.get("name", path.stem)),
        classes=mapped,
        policy=policy,
        datasets=tuple(d.lower() for d in datasets),
        description=str(data.get("description", "")),
        source=str(path),
    )


def load_class_map(path: str | Path) -> ClassMap:
    """Read a class map from a ``.toml`` or ``.json`` file.

    Args:
        path (str or Path): The file.

    Returns:
        ClassMap: The validated map.

    Raises:
        DataError: the file is missing or unreadable.
        ParseError: invalid TOML/JSON (with line and column).
        ConfigError: invalid content.
    """
    path = Path(path)
    return parse_class_map(_read(path), path)


def shipped_class_maps() -> list[ClassMap]:
    """The class maps shipped in ``ontologies/class_maps/``, sorted by file name."""
    folder = resources.files("ontologies") / "class_maps"
    files = sorted((f for f in folder.iterdir() if f.name.endswith((".toml", ".json"))), key=lambda f: f.name)
    return [load_class_map(Path(str(f))) for f in files]


def default_class_map(dataset: str | None) -> ClassMap | None:
    """The shipped class map whose ``datasets`` list names ``dataset``.

    Args:
        dataset (str, optional): A dataset name (``"ohsumed"``, ``"imdb"``, ``"mr"``)
            or a path whose file/folder name starts with one. (default: ``None``)

    Returns:
        ClassMap or None: The map, or ``None`` when none is shipped for it.
    """
    if not dataset:
        return None
    name = Path(str(dataset)).name.lower()
    for cmap in shipped_class_maps():
        if any(name == d or name.startswith(d + ".") or name.startswith(d + "_") for d in cmap.datasets):
            return cmap
    return None


def class_map_from_labels(class_labels, finder) -> ClassMap | None:
    """A class map derived from concept labels equal to the class names.

    Args:
        class_labels (Iterable[str]): The model's class labels.
        finder (kg.evidence.finder.PathFinder): Looks labels up in the store.

    Returns:
        ClassMap or None: Classes whose name is some concept's label; ``None`` if none is.
    """
    classes = {str(c): found for c in class_labels if (found := finder.concepts_labelled(str(c)))}
    if not classes:
        return None
    return ClassMap(name="labels", classes=classes, source="labels")
