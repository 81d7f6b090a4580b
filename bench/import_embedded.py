"""Embedded import vs rdflib's own N-Triples parser into its Memory store, side by side.

Builds one N-Triples file of about 1M realistic triples in one of two shapes
(``--shape relations``: the converted MeSH 2017 tree, WN18RR and opinion
lexicon; ``--shape literals``: the same concepts with labels, synonyms,
definitions and cross-references, as an OBO ontology's OWL release), repeated
with distinct IRIs per copy, then loads it in fresh subprocesses, for each
``--into`` scenario (the store empty, holding pizza.owl, holding the file
itself: a re-import, or holding it with one statement removed since: a
re-import after a change, which kgft's import ledger cannot skip,
:mod:`kg.import_ledger`):

- reference: ``rdflib.Graph().parse(FILE, format="nt")`` (rdflib's parser, Memory
  store, preloaded the same way);
- kgft in-process: ``EmbeddedStore(DIR).import_file(FILE)`` (store closed and flushed);
- kgft as a user runs it: ``kgft ontology import FILE --store DIR -q``, the whole process;
- for context: oxrdflib's parser into an in-memory ``Graph(store="Oxigraph")``
  (bulk, not persisted, no validation pass): what persistence costs.

Prints, per loader, the load's wall and CPU time (all threads), triples/s, peak
RSS and the whole process's wall and CPU time, and the speed-ups in wall and CPU
time, in-process and whole-process (target: at least 5x). The rdflib and kgft
processes run one after the other, never at once.

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


def build_file(mirror: Path, out: Path, copies: int, shape: str = "relations") -> int:
    """Write ``copies`` renamed copies of a ``shape`` of triples to ``out`` (N-Triples); returns the count.

    ``relations``: the converted MeSH tree, WN18RR and opinion lexicon (mostly
    relationships between resources). ``literals``: the same concepts as an OBO
    ontology's OWL release would give them (see :func:`literal_triples`).
    """
    import pyoxigraph as ox

    base = relation_triples(mirror) if shape == "relations" else literal_triples(mirror)

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


def relation_triples(mirror: Path) -> list:
    """The converted MeSH 2017 tree, WN18RR and opinion lexicon, as kgft's converters write them."""
    from kg.convert import convert_mesh_tree, convert_opinion_lexicon, convert_triples_tsv
    from kg.parse import iter_triples

    with tempfile.TemporaryDirectory() as tmp:
        sources = [
            convert_mesh_tree(mirror / "mesh" / "2017MeshTree.txt", Path(tmp) / "mesh.ttl").output,
            convert_triples_tsv(mirror / "wn18rr", Path(tmp) / "wn18rr.ttl").output,
            convert_opinion_lexicon(mirror / "opinion-lexicon", Path(tmp) / "lexicon.ttl").output,
        ]
        return [t for src in sources for t in iter_triples(src)]


def literal_triples(mirror: Path) -> list:
    """MeSH descriptors and WordNet synsets shaped like a Disease Ontology OWL release.

    Per class: ``owl:Class``, ``rdfs:subClassOf`` its parents, ``rdfs:label``,
    ``oboInOwl:id``, a definition (``IAO:0000115``, a sentence naming its label and
    parents, as long as real ones), exact and related synonyms (reordered,
    lower-case and qualified forms of the label) and a cross-reference per tree number:
    about seven literal values per class for each relationship.
    """
    import pyoxigraph as ox

    obo, oio = "http://purl.obolibrary.org/obo/", "http://www.geneontology.org/formats/oboInOwl#"
    rdfs = "http://www.w3.org/2000/01/rdf-schema#"
    p = {name: ox.NamedNode(iri) for name, iri in {
        "type": "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "sub": rdfs + "subClassOf",
        "label": rdfs + "label", "id": oio + "id", "def": obo + "IAO_0000115", "exact": oio + "hasExactSynonym",
        "related": oio + "hasRelatedSynonym", "xref": oio + "hasDbXref"}.items()}
    owl_class = ox.NamedNode("http://www.w3.org/2002/07/owl#Class")
    labels, parents, xrefs = {}, {}, {}
    lines = (mirror / "mesh" / "2017MeshTree.txt").read_text(encoding="utf-8-sig").splitlines()[1:]
    by_tree = {tree: ui for tree, ui, _ in (line.split("\t") for line in lines)}
    for tree, ui, term in (line.split("\t") for line in lines):
        labels[ui] = term
        xrefs.setdefault(ui, []).append(f"MESH_TREE:{tree}")
        if "." in tree:
            parents.setdefault(ui, set()).add(by_tree[tree.rsplit(".", 1)[0]])
    for row in (mirror / "wn18rr" / "train.txt").read_text().splitlines():
        head, rel, tail = row.split("\t")
        for synset in (head, tail):
            labels.setdefault(synset, synset.split(".")[0].replace("_", " "))
        if rel == "_hypernym":
            parents.setdefault(head, set()).add(tail)
    triples = []
    for key, label in labels.items():
        node = ox.NamedNode(f"{obo}KGFT_{key.replace('.', '_')}")
        ups = sorted(parents.get(key, ()))
        words = label.split(", ")
        definition = (f"A {label.lower()} is a kind of "
                      + (" and ".join(labels[u].lower() for u in ups) if ups else "concept")
                      + f", described under {key} with its synonyms and cross-references.")
        values = [("label", label), ("id", f"KGFT:{key}"), ("def", definition),
                  ("exact", label.lower()), ("related", f"{label.lower()} NOS")]
        values += [("exact", " ".join(reversed(words)))] if len(words) > 1 else []
        values += [("xref", x) for x in xrefs.get(key, [f"WN:{key}"])]
        triples.append(ox.Triple(node, p["type"], owl_class))
        triples += [ox.Triple(node, p["sub"], ox.NamedNode(f"{obo}KGFT_{u.replace('.', '_')}")) for u in ups]
        triples += [ox.Triple(node, p[name], ox.Literal(value)) for name, value in values]
    return triples


def bench_file(given: Path | None, folder: Path, copies: int, shape: str = "relations") -> Path:
    """The N-Triples file to import: ``given``, else one built from ``$KGFT_DATA_MIRROR`` into ``folder``.

    Raises:
        SystemExit: no file was given and ``KGFT_DATA_MIRROR`` is not set.
    """
    if given is not None:
        return given
    mirror = os.environ.get("KGFT_DATA_MIRROR")
    if not mirror:
        raise SystemExit("set KGFT_DATA_MIRROR (the offline data mirror) or pass --file")
    path = folder / f"bench-{shape}.nt"
    t0 = time.perf_counter()
    n = build_file(Path(mirror), path, copies, shape)
    print(f"built {path.name}: {n:,} triples, {path.stat().st_size / 1e6:.0f} MB "
          f"in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return path


def preloads(into: str, path: Path) -> list[Path]:
    """Files a store holds before the timed import in scenario ``into``: none, a small ontology, ``path`` itself."""
    return {"empty": [], "ontology": [Path(os.environ["KGFT_DATA_MIRROR"]) / "owl" / "pizza.owl"],
            "same": [path], "changed": [path]}[into]


def removal(path: Path) -> str:
    """The SPARQL update of scenario ``changed``: remove the first statement of an N-Triples file."""
    with open(path, encoding="utf-8") as fh:
        return f"DELETE DATA {{ {fh.readline().strip()} }}"


def preload(kind: str, into: str, path: Path, graph_or_store) -> None:
    """Fill an rdflib graph or a kgft store (untimed) with :func:`preloads`; ``changed``: then remove one statement."""
    for source in preloads(into, path):
        if kind == "rdflib":
            graph_or_store.parse(str(source))
        else:
            graph_or_store.import_file(source)
    if into != "changed":
        return
    if kind == "rdflib":
        graph_or_store.update(removal(path))
    else:
        from kg.sparql_query import run_sparql

        run_sparql(graph_or_store, removal(path), write=True)


def worker(kind: str, path: Path, store_dir: Path, into: str) -> dict:
    """Load ``path`` one way (run in a fresh process), after :func:`preload`; time and memory of the load."""
    if kind == "rdflib":
        import rdflib

        graph = rdflib.Graph()
        preload(kind, into, path, graph)
        wall, cpu = time.perf_counter(), time.process_time()
        graph.parse(str(path), format="nt")
        triples = len(graph)
    elif kind == "oxrdflib-memory":
        import rdflib

        wall, cpu = time.perf_counter(), time.process_time()
        graph = rdflib.Graph(store="Oxigraph")
        graph.parse(str(path), format="ox-nt", transactional=False)
        triples = len(graph.store._inner)
    else:
        from kg.embedded import EmbeddedStore
        from core.progress import set_quiet

        set_quiet(True)
        with EmbeddedStore(store_dir) as store:
            preload(kind, into, path, store)
            wall, cpu = time.perf_counter(), time.process_time()
            store.import_file(path)
            triples = store.count()
        # closing flushes the store: part of the load
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"kind": kind, "triples": triples, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "peak_rss_mb": usage.ru_maxrss / 1024}


def timed_process(cmd: list[str]) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``cmd``; its output, wall seconds and CPU seconds (user + system of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return proc, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_worker(kind: str, path: Path, store_dir: Path, into: str) -> dict:
    """:func:`worker` in a fresh process; adds the whole process's wall and CPU time."""
    cmd = [sys.executable, __file__, "--worker", kind, "--file", str(path), "--store", str(store_dir), "--into", into]
    proc, wall, cpu = timed_process(cmd)
    return json.loads(proc.stdout.strip().splitlines()[-1]) | {"process_seconds": wall, "process_cpu_seconds": cpu}


def run_cli(path: Path, store_dir: Path, into: str) -> dict:
    """``kgft ontology import FILE --store DIR`` as a user runs it, after the same preload (untimed)."""
    kgft = str(Path(sys.executable).parent / "kgft")
    for source in preloads(into, path):
        timed_process([kgft, "ontology", "import", str(source), "--store", str(store_dir), "-q"])
    if into == "changed":
        timed_process([kgft, "query", "sparql", removal(path), "--write", "--store", str(store_dir)])
    _, wall, cpu = timed_process([kgft, "ontology", "import", str(path), "--store", str(store_dir), "-q"])
    return {"process_seconds": wall, "process_cpu_seconds": cpu}


def compare(path: Path, folder: Path, into: str) -> dict:
    """rdflib, kgft in-process and through its CLI, side by side on ``path`` for scenario ``into``."""
    ref = run_worker("rdflib", path, folder / "unused", into)
    ours = run_worker("kgft", path, folder / f"store-{into}", into)
    cli = run_cli(path, folder / f"cli-store-{into}", into)
    if into not in ("same", "changed") and ref["triples"] != ours["triples"]:
        raise SystemExit(f"triple counts differ: rdflib {ref['triples']}, kgft {ours['triples']}")
    out = {"into": into, "rdflib": ref, "kgft": ours, "kgft_cli": cli,
           "speedup": ref["seconds"] / ours["seconds"], "cpu_speedup": ref["cpu_seconds"] / ours["cpu_seconds"],
           "memory_ratio": ref["peak_rss_mb"] / ours["peak_rss_mb"]}
    if into == "empty":  # otherwise rdflib's process also parses the preload: no whole-process ratio
        out |= {"process_speedup": ref["process_seconds"] / cli["process_seconds"],
                "process_cpu_speedup": ref["process_cpu_seconds"] / cli["process_cpu_seconds"]}
    return out


def report(result: dict) -> None:
    """Print one scenario's table and ratios."""
    ref, ours, cli = result["rdflib"], result["kgft"], result["kgft_cli"]
    print(f"\ninto {result['into']} store:")
    print(f"{'loader':<34} {'triples':>10} {'wall s':>7} {'cpu s':>7} {'triples/s':>10} {'peak RSS':>9}"
          f" {'process wall/cpu s':>19}")
    for label, r in (("rdflib nt parser -> Memory store", ref), ("kgft EmbeddedStore.import_file", ours)):
        print(f"{label:<34} {r['triples']:>10,} {r['seconds']:>7.1f} {r['cpu_seconds']:>7.1f} "
              f"{r['triples'] / r['seconds']:>10,.0f} {r['peak_rss_mb']:>7,.0f}MB"
              f" {r['process_seconds']:>9.1f} /{r['process_cpu_seconds']:>6.1f}")
    print(f"{'kgft ontology import (whole process)':<90} {cli['process_seconds']:>6.1f} /{cli['process_cpu_seconds']:>6.1f}")
    whole = (f"whole process (rdflib's worker vs the kgft command): {result['process_speedup']:.1f}x wall, "
             f"{result['process_cpu_speedup']:.1f}x CPU" if "process_speedup" in result
             else "whole process: no ratio (rdflib's process also parses the preload)")
    print(f"speed-up in-process: {result['speedup']:.1f}x wall, {result['cpu_speedup']:.1f}x CPU; {whole} "
          f"(target >= 5x); peak memory {result['memory_ratio']:.1f}x less")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=3, help="renamed copies of the terminologies (3 = 1.34M triples)")
    parser.add_argument("--shape", choices=("relations", "literals"), default="relations",
                        help="relations: converted MeSH tree + WN18RR + lexicon; literals: the same concepts with "
                             "labels, synonyms, definitions and xrefs, as an OBO ontology's OWL release")
    parser.add_argument("--into", choices=("empty", "ontology", "same", "changed"), nargs="+", default=["empty"],
                        help="store before the timed import: empty, holding pizza.owl, holding the same file "
                             "(a re-import), or holding it less one statement removed since (a re-import after a "
                             "change); rdflib's graph is preloaded the same way")
    parser.add_argument("--file", type=Path, help="use this N-Triples file instead of building one")
    parser.add_argument("--worker", choices=["rdflib", "kgft", "oxrdflib-memory"], help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.file, args.store, args.into[0])))
        return 0

    results = []
    with tempfile.TemporaryDirectory(prefix="kgft-bench-") as tmp:
        path = bench_file(args.file, Path(tmp), args.copies, args.shape)
        for into in args.into:
            results.append(compare(path, Path(tmp), into))
            if not args.json:
                report(results[-1])
        memory = run_worker("oxrdflib-memory", path, Path(tmp) / "unused", "empty")
    load = os.getloadavg()[0]
    if args.json:
        print(json.dumps({"shape": args.shape, "results": results, "oxrdflib_memory": memory, "load_average": load},
                         indent=2))
        return 0
    print(f"(not persisted, for context: oxrdflib -> in-memory Oxigraph {memory['seconds']:.1f}s wall, "
          f"{memory['cpu_seconds']:.1f}s CPU); shape {args.shape}; load average {load:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
