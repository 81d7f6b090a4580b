"""A knowledge graph as tensors: entity/relation vocabularies, splits, edges.

Two sources give the same structure:

* :func:`load_triples_dir` reads a benchmark directory with ``train.txt``,
  ``valid.txt`` and ``test.txt`` (``head<TAB>relation<TAB>tail``), as in
  WN18RR, UMLS, Kinship and Nations.
* :func:`graph_from_store` reads any :class:`kg.store_protocol.Store` (the embedded
  rdflib store or Neo4j) and carves a validation and test split with a fixed
  seed, keeping every entity of those splits present in training.

Vocabularies are sorted by name (the IRI string for a store graph), so the
same graph yields the same ids whichever store it comes from (blank nodes
are named ``_:<id>`` with the store's own id, so only graphs without blank
nodes are guaranteed identical across stores). By default a
store graph keeps only *object* edges between IRIs or blank nodes, which
includes ``rdf:type`` edges to classes; literal-valued triples (labels,
comments, data properties) become edges only with ``include_literals=True``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from core.errors import DataError, ParseError
from kg.store_protocol import LABEL_PREDICATES

logger = logging.getLogger(__name__)

INVERSE_SUFFIX = "^-1"
SPLITS = ("train", "valid", "test")


@dataclass
class KnowledgeGraph:
    """Entity and relation vocabularies plus ``(head, relation, tail)`` id splits.

    Args:
        entities (list[str]): Entity names (IRIs), sorted; the position is the id.
        relations (list[str]): Relation names, sorted; the position is the id. With
            inverse relations, the inverse of relation ``r`` is ``r + num_base_relations``.
        train (np.ndarray): ``int64`` array ``[n, 3]`` of training triples.
        valid (np.ndarray): Validation triples, same layout.
        test (np.ndarray): Test triples, same layout.
        num_base_relations (int): Relations before inverse ones were added.
        labels (dict[str, str]): Human-readable label per entity name, when known.
        source (str): Where the graph came from (for ``config.json``).
    """

    entities: list[str]
    relations: list[str]
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    num_base_relations: int = 0
    labels: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        if not self.num_base_relations:
            self.num_base_relations = len(self.relations)

    @property
    def num_entities(self) -> int:
        """Number of entities."""
        return len(self.entities)

    @property
    def num_relations(self) -> int:
        """Number of relations (inverse ones included)."""
        return len(self.relations)

    @property
    def has_inverse(self) -> bool:
        """Whether inverse relations were added to the training edges."""
        return self.num_relations > self.num_base_relations

    def edge_index(self, split: str = "train"):
        """The ``[2, n]`` ``torch.long`` edge index (heads, tails) of a split."""
        import torch

        arr = getattr(self, split)
        return torch.from_numpy(np.ascontiguousarray(arr[:, [0, 2]].T))

    def edge_type(self, split: str = "train"):
        """The ``[n]`` ``torch.long`` relation ids of a split."""
        import torch

        return torch.from_numpy(np.ascontiguousarray(getattr(self, split)[:, 1]))

    def fingerprint(self) -> str:
        """SHA-256 over the vocabularies: two graphs with equal ids share it."""
        digest = hashlib.sha256()
        for name in self.entities:
            digest.update(name.encode("utf-8") + b"\n")
        digest.update(b"\x00relations\x00")
        for name in self.relations:
            digest.update(name.encode("utf-8") + b"\n")
        return digest.hexdigest()

    def with_inverse(self) -> "KnowledgeGraph":
        """A copy whose training triples also hold ``(t, r^-1, h)`` for every ``(h, r, t)``.

        Validation and test triples are unchanged (they use base relations only).
        """
        if self.has_inverse:
            return self
        base = self.num_base_relations
        inv = self.train[:, [2, 1, 0]].copy()
        inv[:, 1] += base
        return KnowledgeGraph(
            entities=self.entities,
            relations=list(self.relations) + [r + INVERSE_SUFFIX for r in self.relations],
            train=np.concatenate([self.train, inv]),
            valid=self.valid,
            test=self.test,
            num_base_relations=base,
            labels=self.labels,
            source=self.source,
        )

    def summary(self) -> dict:
        """Counts for logs and ``config.json``."""
        return {
            "source": self.source,
            "entities": self.num_entities,
            "relations": self.num_base_relations,
            "inverse_relations": self.has_inverse,
            "train": int(len(self.train)),
            "valid": int(len(self.valid)),
            "test": int(len(self.test)),
        }


def graph_from_named_triples(
    splits: dict[str, list[tuple[str, str, str]]],
    source: str = "",
    labels: dict[str, str] | None = None,
    add_inverse: bool = False,
) -> KnowledgeGraph:
    """Build a :class:`KnowledgeGraph` from named triples per split.

    Args:
        splits (dict): ``{"train": [...], "valid": [...], "test": [...]}`` of
            ``(head, relation, tail)`` strings; missing splits are empty.
        source (str): Description for the config. (default: ``""``)
        labels (dict, optional): Entity labels. (default: ``None``)
        add_inverse (bool): Add inverse relations to training. (default: ``False``)

    Raises:
        DataError: The training split is empty.
    """
    train = splits.get("train", [])
    if not train:
        raise DataError(
            f"the graph {source or ''} has no training triples between entities",
            hint="import an ontology with object properties or class hierarchy, or pass a triples dir",
        )
    all_triples = [t for name in SPLITS for t in splits.get(name, [])]
    entities = sorted({t[0] for t in all_triples} | {t[2] for t in all_triples})
    relations = sorted({t[1] for t in all_triples})
    ent_id = {name: i for i, name in enumerate(entities)}
    rel_id = {name: i for i, name in enumerate(relations)}

    def encode(rows: list[tuple[str, str, str]]) -> np.ndarray:
        if not rows:
            return np.zeros((0, 3), dtype=np.int64)
        return np.array([(ent_id[h], rel_id[r], ent_id[t]) for h, r, t in rows], dtype=np.int64)

    graph = KnowledgeGraph(
        entities=entities,
        relations=relations,
        train=encode(train),
        valid=encode(splits.get("valid", [])),
        test=encode(splits.get("test", [])),
        labels=dict(labels or {}),
        source=source,
    )
    return graph.with_inverse() if add_inverse else graph


def _read_split(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 3 or not all(p.strip() for p in parts):
                raise ParseError(
                    path, f"expected 'head<TAB>relation<TAB>tail', got {len(parts)} field(s)", line=lineno,
                    hint="each line must hold exactly three tab-separated fields",
                )
            rows.append((parts[0].strip(), parts[1].strip(), parts[2].strip()))
    return rows


def load_triples_dir(path: Path | str, add_inverse: bool = False) -> KnowledgeGraph:
    """Read a benchmark directory with ``train.txt``, ``valid.txt``, ``test.txt``.

    Args:
        path (Path or str): The directory.
        add_inverse (bool): Add inverse relations to training. (default: ``False``)

    Raises:
        DataError: The directory or ``train.txt`` is missing, or it holds no triples.
        ParseError: A line is not ``head<TAB>relation<TAB>tail`` (file and line given).
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"triples directory {root} does not exist", hint="pass a folder with train.txt")
    if not (root / "train.txt").is_file():
        raise DataError(f"{root} has no train.txt", hint="expected train.txt, valid.txt, test.txt")
    splits = {}
    for name in SPLITS:
        file = root / f"{name}.txt"
        splits[name] = _read_split(file) if file.is_file() else []
    if not splits["train"]:
        raise DataError(f"{root / 'train.txt'} is empty", hint="the graph needs training triples")
    graph = graph_from_named_triples(splits, source=f"triples:{root}", add_inverse=add_inverse)
    logger.info("read %s: %s", root, graph.summary())
    return graph


def _term_name(term) -> str:
    """The vocabulary name of an rdflib term: IRI string, ``_:id`` or the literal's N3."""
    from rdflib import BNode, Literal

    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        return term.n3()
    return str(term)


def store_triples(store, include_literals: bool = False) -> Iterator[tuple[str, str, str]]:
    """Named ``(s, p, o)`` edges of a store: object edges, plus literals if asked.

    Args:
        store (kg.store_protocol.Store): The store to read.
        include_literals (bool): Keep literal-valued triples as edges to literal
            nodes (label predicates excepted). (default: ``False``)
    """
    from rdflib import Literal

    label_preds = set(LABEL_PREDICATES)
    for s, p, o in store.triples():
        if isinstance(s, Literal):
            continue
        if isinstance(o, Literal):
            if not include_literals or str(p) in label_preds:
                continue
        yield _term_name(s), str(p), _term_name(o)


def split_triples(
    triples: list[tuple[str, str, str]],
    valid_fraction: float = 0.05,
    test_fraction: float = 0.05,
    seed: int = 0,
) -> dict[str, list[tuple[str, str, str]]]:
    """Carve validation and test triples with a fixed seed.

    Only triples whose head and tail keep at least one other training triple
    go to validation/test, so no evaluation entity is unseen in training.
    The input order does not matter: triples are sorted before shuffling.

    Args:
        triples (list): Named triples (duplicates are removed).
        valid_fraction (float): Target share of validation triples. (default: ``0.05``)
        test_fraction (float): Target share of test triples. (default: ``0.05``)
        seed (int): Shuffle seed. (default: ``0``)
    """
    unique = sorted(set(triples))
    n = len(unique)
    want_valid = int(round(n * valid_fraction))
    want_test = int(round(n * test_fraction))
    degree: dict[str, int] = {}
    for h, _, t in unique:
        degree[h] = degree.get(h, 0) + 1
        degree[t] = degree.get(t, 0) + 1
    order = np.random.default_rng(seed).permutation(n)
    held: list[int] = []
    for i in order:
        if len(held) >= want_valid + want_test:
            break
        h, _, t = unique[i]
        need = 2 if h == t else 1
        if degree[h] > need and degree[t] > need:
            degree[h] -= 1
            degree[t] -= 1
            held.append(int(i))
    held_set = set(held)
    return {
        "train": [unique[i] for i in range(n) if i not in held_set],
        "valid": [unique[i] for i in held[:want_valid]],
        "test": [unique[i] for i in held[want_valid:]],
    }


def store_labels(store) -> dict[str, str]:
    """One label per entity: the first label predicate in LABEL_PREDICATES order, then text order."""
    rank = {p: i for i, p in enumerate(LABEL_PREDICATES)}
    best: dict[str, tuple[int, str]] = {}
    for iri, pred, text in store.labels():
        key = (rank.get(pred, len(rank)), text)
        if iri not in best or key < best[iri]:
            best[iri] = key
    return {iri: text for iri, (_, text) in best.items()}


def graph_from_store(
    store,
    include_literals: bool = False,
    add_inverse: bool = False,
    valid_fraction: float = 0.05,
    test_fraction: float = 0.05,
    seed: int = 0,
    source: str = "store",
) -> KnowledgeGraph:
    """Read a :class:`kg.store_protocol.Store` into a :class:`KnowledgeGraph`.

    Args:
        store (kg.store_protocol.Store): The embedded or Neo4j store.
        include_literals (bool): Literal-valued triples become edges. (default: ``False``)
        add_inverse (bool): Add inverse relations to training. (default: ``False``)
        valid_fraction (float): Share of triples held out for validation. (default: ``0.05``)
        test_fraction (float): Share held out for test. (default: ``0.05``)
        seed (int): Split seed. (default: ``0``)
        source (str): Description for the config. (default: ``"store"``)

    Raises:
        DataError: The store is empty or has no edges between entities.
    """
    named = list(store_triples(store, include_literals=include_literals))
    if not named:
        total = store.count()
        if total == 0:
            raise DataError(f"the {source} is empty", hint="import an ontology first: kgft ontology import FILE")
        raise DataError(
            f"the {source} holds {total} triples but no relations between entities "
            "(only literal values such as labels)",
            hint="import an ontology with a class hierarchy or object properties, or use --include-literals",
        )
    splits = split_triples(named, valid_fraction, test_fraction, seed)
    try:
        labels = store_labels(store)
    except NotImplementedError:
        logger.info("%s cannot list labels: entities.tsv will have no labels", source)
        labels = {}
    graph = graph_from_named_triples(splits, source=source, labels=labels, add_inverse=add_inverse)
    logger.info("read %s: %s", source, graph.summary())
    return graph

