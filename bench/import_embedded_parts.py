"""What bounds the embedded import: its parts, each timed alone in this process (wall and CPU of all threads).

On an N-Triples file (``--file``, e.g. the one ``bench/import_embedded.py``
builds; ``build_file`` writes it):

- ``validate``: kgft's validation pass alone (pyoxigraph parser, nothing kept);
- ``bulk-lenient`` / ``bulk-strict``: Oxigraph's bulk loader alone, the whole file in one
  ``Store.bulk_load`` call into a fresh store, then flushed, without / with IRI validation;
- ``contains``: parse the file and check each triple against a store that already holds
  it (``quad in store``, no write): the cost of a re-import that only checks.

Run: ``.venv/bin/python bench/import_embedded_parts.py --file /tmp/shape/relations.nt``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def timed(label: str, action) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    print(f"{label:<44} {time.perf_counter() - wall:6.2f} s wall {time.process_time() - cpu:6.2f} s CPU", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, required=True, help="an N-Triples file")
    args = parser.parse_args()

    import pyoxigraph as ox

    from kg.parse import validate

    nt = ox.RdfFormat.N_TRIPLES
    with tempfile.TemporaryDirectory(prefix="kgft-parts-") as tmp:
        timed("validate (kgft's validation pass)", lambda: validate(args.file, "nt"))
        for lenient in (True, False):
            store = ox.Store(str(Path(tmp) / f"store-{lenient}"))

            def load(store=store, lenient=lenient):
                store.bulk_load(path=str(args.file), format=nt, lenient=lenient)
                store.flush()

            timed(f"bulk_load, one call, lenient={lenient}", load)

        def check(store=store):
            with open(args.file, "rb") as fh:
                missing = sum(1 for quad in ox.parse(fh, nt) if quad not in store)
            assert missing == 0

        timed("parse + `quad in store` (store holds the file)", check)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
