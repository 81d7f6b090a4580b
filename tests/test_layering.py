"""The package structure ARCHITECTURE.md describes: imports go down the layers, no import cycle, small modules.

Imports are read from the source (function-level ones included, ``if TYPE_CHECKING:``
blocks left out), so a cycle hidden inside a function fails here too.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "kg", "model", "pipelines", "commands")
#: Layer order: a package may import only packages to its right.
LAYERS = ("cli", "commands", "pipelines", "model", "kg", "core")
#: model/ reads graphs only through pipelines/: it imports no kg/ module at all.
FORBIDDEN = {"model": {"kg"}}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {"cli": ROOT / "cli.py"}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


class _Imports(ast.NodeVisitor):
    def __init__(self, modules: dict[str, Path]) -> None:
        self.modules, self.found = modules, set()

    def visit_If(self, node: ast.If) -> None:
        if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.update(a.name for a in node.names if a.name in self.modules)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                name = full if full in self.modules else node.module
                if name in self.modules:
                    self.found.add(name)


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    edges = defaultdict(set)
    for name, path in modules.items():
        visitor = _Imports(modules)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        edges[name] = visitor.found - {name}
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _package_of(module: str) -> str:
    return module.split(".")[0]


def test_no_import_cycle(graph):
    assert _cycles(graph) == []


def test_a_cycle_inside_a_function_is_found():
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_imports_go_down_the_layers(graph):
    upward = []
    for module, targets in graph.items():
        here = LAYERS.index(_package_of(module))
        for target in targets:
            there = _package_of(target)
            if LAYERS.index(there) < here or there in FORBIDDEN.get(_package_of(module), ()):
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_only_the_cli_layer_uses_click():
    users = {name for name, path in _modules().items() if _package_of(name) not in ("cli", "commands")
             and any(isinstance(node, (ast.Import, ast.ImportFrom))
                     and "click" in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module])
                     for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))}
    assert users == set()


def test_no_module_is_over_the_size_limit():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
