"""Embedded import vs rdflib's own N-Triples parser into its Memory store, side by side.

Builds one N-Triples file of at least 1M realistic triples (the converted MeSH
2017 tree, WN18RR and opinion lexicon, repeated with distinct IRIs per copy),
then loads it in two fresh subprocesses:

- reference: ``rdflib.Graph().parse(FILE, format="nt")`` (rdflib's parser, Memory store);
- kgft: ``EmbeddedStore(DIR).import_file(FILE)`` (pyoxigraph parser, Oxigraph on disk,
  validation pass + bulk load, store closed and flushed);
- for context: oxrdflib's parser into an in-memory ``Graph(store="Oxigraph")``
  (bulk, not persisted, no validation pass): what persistence costs.

Prints triples, seconds, triples/s and peak RSS of each, and the speed-up
(target: at least 5x).

Run: ``KGFT_DATA_MIRROR=/work/shared/data .venv/bin/python bench/import_embedded.py``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VOCAB = (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/2002/07/owl#",
    "http://www.w3.org/2004/02/skos/core#",
    "http://purl.org/dc/terms/",
    "https://w3id.org/kgft/vocab#",
)


def build_file(mirror: Path, out: Path, copies: int) -> int:
    """Write ``copies`` renamed copies of the converted terminologies to ``out`` (N-Triples)."""
    import pyoxigraph as ox

    from kg.convert import convert_mesh_tree, convert_opinion_lexicon, convert_triples_tsv
    from kg.parse import iter_triples

    with tempfile.TemporaryDirectory() as tmp:
        sources = [
            convert_mesh_tree(mirror / "mesh" / "2017MeshTree.txt", Path(tmp) / "mesh.ttl").output,
            convert_triples_tsv(mirror / "wn18rr", Path(tmp) / "wn18rr.ttl").output,
            convert_opinion_lexicon(mirror / "opinion-lexicon", Path(tmp) / "lexicon.ttl").output,
        ]
        base = [t for src in sources for t in iter_triples(src)]

    def renamed(term, copy: int):
        if type(term) is ox.NamedNode and not term.value.startswith(VOCAB):
            return ox.NamedNode(f"{term.value}-c{copy}")
        return term

    def stream():
        for copy in range(copies):
            for t in base:
                yield ox.Triple(renamed(t.subject, copy), t.predicate, renamed(t.object, copy))

    ox.serialize(stream(), str(out), ox.RdfFormat.N_TRIPLES)
    return len(base) * copies


def bench_file(given: Path | None, folder: Path, copies: int) -> Path:
    """The N-Triples file to import: ``given``, else one built from ``$KGFT_DATA_MIRROR`` into ``folder``.

    Raises:
        SystemExit: no file was given and ``KGFT_DATA_MIRROR`` is not set.
    """
    if given is not None:
        return given
    mirror = os.environ.get("KGFT_DATA_MIRROR")
    if not mirror:
        raise SystemExit("set KGFT_DATA_MIRROR (the offline data mirror) or pass --file")
    path = folder / "bench.nt"
    t0 = time.perf_counter()
    n = build_file(Path(mirror), path, copies)
    print(f"built {path.name}: {n:,} triples, {path.stat().st_size / 1e6:.0f} MB "
          f"in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return path


def worker(kind: str, path: Path, store_dir: Path) -> dict:
    """Load ``path`` one way (run in a fresh process) and report time and peak memory."""
    start = time.perf_counter()
    if kind == "rdflib":
        import rdflib

        graph = rdflib.Graph()
        graph.parse(str(path), format="nt")
        triples = len(graph)
    elif kind == "oxrdflib-memory":
        import rdflib

        graph = rdflib.Graph(store="Oxigraph")
        graph.parse(str(path), format="ox-nt", transactional=False)
        triples = len(graph.store._inner)
    else:
        from kg.embedded import EmbeddedStore
        from core.progress import set_quiet

        set_quiet(True)
        with EmbeddedStore(store_dir) as store:
            store.import_file(path)
            triples = store.count()
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"kind": kind, "triples": triples, "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024}


def run_worker(kind: str, path: Path, store_dir: Path) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, "--file", str(path), "--store", str(store_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=3, help="renamed copies of the terminologies (3 = 1.34M triples)")
    parser.add_argument("--file", type=Path, help="use this N-Triples file instead of building one")
    parser.add_argument("--worker", choices=["rdflib", "kgft", "oxrdflib-memory"], help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.file, args.store)))
        return 0

    with tempfile.TemporaryDirectory(prefix="kgft-bench-") as tmp:
        path = bench_file(args.file, Path(tmp), args.copies)
        ref = run_worker("rdflib", path, Path(tmp) / "unused")
        ours = run_worker("kgft", path, Path(tmp) / "store")
        memory = run_worker("oxrdflib-memory", path, Path(tmp) / "unused")
    if ref["triples"] != ours["triples"]:
        raise SystemExit(f"triple counts differ: rdflib {ref['triples']}, kgft {ours['triples']}")
    ratio = ref["seconds"] / ours["seconds"]
    result = {"file_triples": ours["triples"], "rdflib": ref, "kgft": ours, "oxrdflib_memory": memory,
              "speedup": ratio, "memory_store_speedup": ref["seconds"] / memory["seconds"],
              "cpu_speedup": ref["cpu_seconds"] / ours["cpu_seconds"],
              "memory_ratio": ref["peak_rss_mb"] / ours["peak_rss_mb"], "load_average": os.getloadavg()[0]}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{'loader':<34} {'triples':>10} {'wall s':>7} {'cpu s':>7} {'triples/s':>10} {'peak RSS':>9}")
    rows = (("rdflib nt parser -> Memory store", ref), ("kgft embedded import (Oxigraph)", ours),
            ("(oxrdflib -> in-memory Oxigraph)", memory))
    for label, r in rows:
        print(f"{label:<34} {r['triples']:>10,} {r['seconds']:>7.1f} {r['cpu_seconds']:>7.1f} "
              f"{r['triples'] / r['seconds']:>10,.0f} {r['peak_rss_mb']:>7,.0f}MB")
    print(f"speed-up: {ratio:.1f}x wall, {result['cpu_speedup']:.1f}x CPU (target >= 5x); "
          f"peak memory: {result['memory_ratio']:.1f}x less; load average {result['load_average']:.1f}")
    print(f"(not persisted, for context: in-memory Oxigraph {result['memory_store_speedup']:.1f}x wall)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
