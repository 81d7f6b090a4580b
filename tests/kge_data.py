"""Toy knowledge graphs shared by the KGE tests: triples directories written on the fly."""

from __future__ import annotations

import random
from pathlib import Path


def write_triples(root: Path, train, valid=(), test=()) -> Path:
    """Write ``train/valid/test.txt`` (``head<TAB>relation<TAB>tail``) into ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train", train), ("valid", valid), ("test", test)):
        (root / f"{name}.txt").write_text("".join(f"{h}\t{r}\t{t}\n" for h, r, t in rows), encoding="utf-8")
    return root


def tiny_rows(n_entities: int = 30, seed: int = 0):
    """A small structured graph: a ring, a 'next-next' relation and a type relation (train, valid, test)."""
    rows = []
    for i in range(n_entities):
        rows.append((f"e{i:02d}", "next", f"e{(i + 1) % n_entities:02d}"))
        rows.append((f"e{i:02d}", "skip", f"e{(i + 2) % n_entities:02d}"))
        rows.append((f"e{i:02d}", "type", f"class{i % 3}"))
    random.Random(seed).shuffle(rows)
    return rows[:-12], rows[-12:-6], rows[-6:]
