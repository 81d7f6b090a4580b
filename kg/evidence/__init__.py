"""Graph evidence for explanations: class maps and shortest paths on either store."""

from kg.evidence.class_map import (
    ClassMap,
    class_map_from_labels,
    default_class_map,
    load_class_map,
    shipped_class_maps,
)
from kg.evidence.finder import PathFinder, path_finder
from kg.evidence.paths import DEFAULT_EXCLUDED, EvidencePath, PathPolicy, Step, local_name, relation_name

__all__ = [
    "ClassMap",
    "DEFAULT_EXCLUDED",
    "EvidencePath",
    "PathFinder",
    "PathPolicy",
    "Step",
    "class_map_from_labels",
    "default_class_map",
    "load_class_map",
    "local_name",
    "path_finder",
    "relation_name",
    "shipped_class_maps",
]
