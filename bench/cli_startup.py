"""Start-up time of the ``kgft`` command: ``--help``, and a small SPARQL query on a 13-triple store.

Each command runs ``--repeat`` times as a fresh process; the median wall time
is printed next to the reference, a bare interpreter (``python -c pass``), and
as a ratio to it. The query includes its child process (``kg.query_worker``,
which stops a query at its timeout); that process alone is timed too.

Run: ``.venv/bin/python bench/cli_startup.py [--repeat 7]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERY = "SELECT ?s WHERE { ?s <http://ex.org/p> <http://ex.org/o3> }"


def median_wall(cmd: list[str], repeat: int, stdin: str | None = None) -> float:
    """Median seconds of ``cmd`` (fed ``stdin``) run ``repeat`` times (after one warm-up run)."""
    times = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, input=stdin, text=True)
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def small_store(folder: Path) -> Path:
    """A store of 13 triples ``<s_i> <p> <o_i>``."""
    sys.path.insert(0, str(ROOT))
    from kg.embedded import EmbeddedStore

    data = folder / "t.nt"
    data.write_text("".join(f"<http://ex.org/s{i}> <http://ex.org/p> <http://ex.org/o{i}> .\n" for i in range(13)),
                    encoding="utf-8")
    with EmbeddedStore(folder / "kb") as store:
        store.import_file(data)
    return folder / "kb"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="Runs per command (median reported).")
    args = parser.parse_args()
    kgft = [sys.executable, "-c", "import cli; cli.cli()"]
    bare = median_wall([sys.executable, "-c", "pass"], args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        store = small_store(Path(tmp))
        rows = {
            "kgft --help": median_wall([*kgft, "--help"], args.repeat),
            "kgft query sparql (small)": median_wall([*kgft, "query", "sparql", QUERY, "--store", str(store)],
                                                     args.repeat),
            "  of which the query process": median_wall(
                [sys.executable, "-m", "kg.query_worker"], args.repeat,
                json.dumps({"store": str(store), "query": QUERY, "prefixes": {}, "parent": os.getpid()})),
        }
    print(f"{'python -c pass (reference)':<32} {bare * 1000:8.0f} ms")
    for name, seconds in rows.items():
        print(f"{name:<32} {seconds * 1000:8.0f} ms   ratio {seconds / bare:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
