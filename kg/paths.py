"""Breadth-first shortest paths over any store's neighbour function.

Explanations walk from an entity to the nearest concepts of interest (e.g.
from a linked word up the MeSH tree to ``C04 Neoplasms``). Edges are followed
in both directions; a node with very many edges (a "hub" such as
``skos:Concept`` reached through ``rdf:type``) can end a path but is not walked
through, otherwise every pair of concepts would be two hops apart.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Iterable, Sequence

Edge = tuple[str, str, str]

#: Nodes with more edges than this are not expanded (they may still be targets).
MAX_DEGREE = 5000


def shortest_paths(
    neighbours: Callable[[str], Iterable[tuple[str, Edge]]],
    source: str,
    targets: Sequence[str],
    max_hops: int = 6,
    max_degree: int = MAX_DEGREE,
) -> list[list[Edge]]:
    """One shortest path from ``source`` to each target reachable within ``max_hops``.

    Args:
        neighbours (Callable): ``node -> iterable of (neighbour, (s, p, o))``.
        source (str): Start node id.
        targets (Sequence[str]): Goal node ids.
        max_hops (int): Longest path considered. (default: ``6``)
        max_degree (int): Hub threshold (see module docstring). (default: ``5000``)

    Returns:
        list[list[tuple[str, str, str]]]: Paths sorted by length, then target;
        an empty path if ``source`` itself is a target. Ties between equally
        short paths to one target are broken by edge order, deterministically.
    """
    wanted = set(targets)
    parent: dict[str, tuple[str, Edge] | None] = {source: None}
    found: list[str] = [source] if source in wanted else []
    frontier = deque([source])
    for _ in range(max(0, max_hops)):
        if len(found) == len(wanted) or not frontier:
            break
        next_frontier: deque[str] = deque()
        for node in frontier:
            edges = []
            for item in neighbours(node):
                edges.append(item)
                if len(edges) > max_degree and node != source:
                    break
            if len(edges) > max_degree and node != source:
                continue
            for other, edge in sorted(edges, key=lambda item: (item[1][1], item[0])):
                if other in parent:
                    continue
                parent[other] = (node, edge)
                next_frontier.append(other)
                if other in wanted:
                    found.append(other)
        frontier = next_frontier
    paths = []
    for target in found:
        path: list[Edge] = []
        node = target
        while parent[node] is not None:
            node, edge = parent[node]
            path.append(edge)
        paths.append(path[::-1])
    order = {t: i for i, t in enumerate(sorted(wanted))}
    return sorted(paths, key=lambda p: (len(p), order[_end(p, source)]))


def _end(path: list[Edge], source: str) -> str:
    """The last node of a path (``source`` for an empty path)."""
    node = source
    for s, _, o in path:
        node = o if s == node else s
    return node
