"""Run one SPARQL query or update in a child process that can be stopped: ``python -m kg.query_worker``.

Oxigraph evaluates SPARQL in native code that never returns to Python until
it is done, so neither a timeout nor Ctrl-C can stop it in the process that
asked. It therefore runs in a child; the parent waits with a deadline and
kills the child on timeout, Ctrl-C or SIGTERM. The child also ends itself if
its parent disappears (checked every :data:`ORPHAN_CHECK_S` seconds).

* A query opens its own read-only instance of the store (the parent holds the
  store's shared lock meanwhile). Nothing is written.
* An update opens the store for writing (the parent holds the writer lock and
  has closed its own instance, :meth:`kg.embedded.EmbeddedStore.lent`).
  Oxigraph applies a whole update request in one transaction, so a child
  stopped before its commit leaves the store as it was.

Protocol: the request is one JSON object on stdin (``store``, ``query``,
``prefixes``, ``update``, ``parent``); the child prints one JSON object, the
result (``kind``, ``columns``, ``rows``, ``boolean``) or ``{"error": message}``.
A child costs the start of a fresh interpreter importing pyoxigraph.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

#: How often the child checks that its parent is still there (seconds).
ORPHAN_CHECK_S = 0.25


def query_in_child(directory: Path, text: str, prefixes: dict[str, str], timeout: float | None,
                   update: bool = False) -> dict:
    """The result of ``text`` on the store in ``directory``, computed by a child process.

    Args:
        directory (Path): The embedded store (the caller holds its lock; for an
            update, the writer lock and no open instance).
        text (str): A SPARQL query, or an update when ``update``.
        prefixes (dict[str, str]): Predeclared prefix → namespace.
        timeout (float, optional): Seconds before it is stopped; ``None``: no limit.
        update (bool): ``text`` is an update, applied all-or-nothing. (default: ``False``)

    Returns:
        dict: ``kind``, ``columns``, ``rows`` (text cells) and ``boolean`` (ASK);
        ``{"kind": "UPDATE"}`` for an update.

    Raises:
        StoreError: it failed, ran past ``timeout``, or the child process failed
            (an update then wrote nothing).
        KeyboardInterrupt: Ctrl-C, SIGTERM or SIGHUP arrived (the child is stopped first).
    """
    import subprocess

    import kg
    from core.errors import StoreError
    from kg.interrupt import terminate_as_interrupt

    env = dict(os.environ)
    root = str(Path(kg.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    what = "update" if update else "query"
    request = json.dumps({"store": str(directory), "query": text, "prefixes": prefixes, "update": update,
                          "parent": os.getpid()})
    with terminate_as_interrupt():
        child = subprocess.Popen([sys.executable, "-m", "kg.query_worker"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env)
        try:
            out, err = child.communicate(request, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise StoreError(
                f"SPARQL {what} stopped after {timeout:g} s (--timeout)"
                + ("; nothing was written" if update else ""),
                hint=f"simplify the {what} (LIMIT, fewer joins) or raise --timeout (0: no limit)",
            ) from None
        finally:
            child.kill()  # no-op when it has finished
            child.communicate()
    try:
        result = json.loads(out)
    except ValueError:
        raise StoreError(f"SPARQL {what} failed: the {what} process ended with code {child.returncode} "
                         f"({' '.join(err.split())[-300:]})") from None
    if "error" in result:
        raise StoreError(f"SPARQL {what} failed: {result['error']}")
    return result


def _cell(term) -> str | None:
    """A result term as text: IRIs plain, blank nodes ``_:id``, literals by their lexical form."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return str(term)


def evaluate(directory: str, text: str, prefixes: dict[str, str]) -> dict:
    """Run the query on a read-only instance of the store; the result as :func:`query_in_child` returns it."""
    import pyoxigraph as ox

    store = ox.Store.read_only(directory)
    result = store.query(text, prefixes=prefixes, default_graph=ox.DefaultGraph())
    if isinstance(result, ox.QueryBoolean):
        answer = bool(result)
        return {"kind": "ASK", "columns": ["ask"], "rows": [[str(answer).lower()]], "boolean": answer}
    if isinstance(result, ox.QuerySolutions):
        columns = [v.value for v in result.variables]
        return {"kind": "SELECT", "columns": columns,
                "rows": [[_cell(row[i]) for i in range(len(columns))] for row in result]}
    triples = dict.fromkeys((_cell(t.subject), _cell(t.predicate), _cell(t.object)) for t in result)
    return {"kind": "CONSTRUCT", "columns": ["subject", "predicate", "object"], "rows": [list(t) for t in triples]}


def apply_update(directory: str, text: str, prefixes: dict[str, str]) -> dict:
    """Apply the update to the store, opened for writing, in one transaction; ``{"kind": "UPDATE"}``."""
    import pyoxigraph as ox

    store = ox.Store(directory)
    store.update(text, prefixes=prefixes)
    store.flush()
    return {"kind": "UPDATE"}


def _exit_when_orphaned(parent: int) -> None:
    """End this process as soon as ``parent`` is no longer its parent (it died)."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(1)


def main() -> int:
    """The child: read the request from stdin, print the result as JSON (exits 0 unless killed or orphaned)."""
    request = json.loads(sys.stdin.read())
    threading.Thread(target=_exit_when_orphaned, args=(request["parent"],), daemon=True).start()
    try:
        run = apply_update if request["update"] else evaluate
        out = run(request["store"], request["query"], request["prefixes"])
    except (SyntaxError, ValueError, OSError, RuntimeError) as exc:
        out = {"error": " ".join(str(exc).split())}
    sys.stdout.write(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
