"""The layer rules of docs/architecture.md, enforced on every module's imports.

Each package of `src/pykeepalived` is one layer and may import only the layers listed for
it (TYPE_CHECKING imports count: a type is a dependency too). No two modules may import
each other, directly or round a longer loop, and product code never imports the lab or
the tests.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "pykeepalived"

#: leaf modules of shared vocabulary every layer may import
LEAVES = frozenset({"constants", "commands"})
#: layer -> the layers it may import (itself and the leaves always allowed)
ALLOWED: dict[str, frozenset[str]] = {
    "constants": frozenset(),
    "commands": frozenset(),
    "config": frozenset({"constants"}),
    "vrrp": frozenset({"constants"}),
    "check": frozenset({"constants"}),
    "sim": frozenset({"vrrp", "constants"}),
    "specs": frozenset({"config", "vrrp", "check", "constants"}),
    "adapters": frozenset({"specs", "vrrp", "check", "constants"}),
    "observe": frozenset({"config", "specs", "vrrp", "check", "constants"}),
    "daemon": frozenset({"adapters", "specs", "observe", "config", "vrrp", "check",
                         "constants", "package"}),
    "cli": frozenset({"daemon", "observe", "config", "specs", "vrrp", "check", "constants",
                      "adapters", "package"}),
    "__main__": frozenset({"cli"}),
    "package": frozenset(),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    return "package" if len(parts) == 1 else parts[1]


def imports_of(path: Path) -> set[str]:
    """Every module of ours this file imports, TYPE_CHECKING blocks included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@functools.cache
def graph() -> dict[str, set[str]]:
    """module -> the modules of ours it imports (names that are not modules dropped)."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {mod: {m for m in imports_of(path) if m in paths and m != mod}
            for mod, path in paths.items()}


def test_the_rules_name_every_layer() -> None:
    layers = {layer_of(mod) for mod in graph()}
    assert layers <= ALLOWED.keys(), f"layers without a rule: {layers - ALLOWED.keys()}"


def forbidden(module: str, imported: set[str]) -> list[str]:
    mine = layer_of(module)
    return sorted(m for m in imported if layer_of(m) != mine
                  and layer_of(m) not in ALLOWED[mine] | LEAVES)


def test_the_rule_catches_an_adapter_reading_the_config() -> None:
    assert forbidden("pykeepalived.adapters.x", {"pykeepalived.config.model"}) == [
        "pykeepalived.config.model"]
    assert forbidden("pykeepalived.specs.x", {"pykeepalived.adapters.netlink"}) != []
    assert forbidden("pykeepalived.specs.x", {"pykeepalived.config.model"}) == []


@pytest.mark.parametrize("module", sorted(graph()))
def test_imports_respect_the_layers(module: str) -> None:
    bad = forbidden(module, graph()[module])
    assert not bad, f"{module} ({layer_of(module)}) may not import {bad} (docs/architecture.md)"


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_round_a_loop() -> None:
    assert cycles(graph()) == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_product_code_never_imports_the_lab_or_the_tests(path: Path) -> None:
    roots = {name.split(".")[0] for name in imports_of(path)}
    assert not roots & {"tests", "netlab", "bench", "demo", "tools"}


LAB_AND_TOOLS = [path for folder in ("netlab", "bench", "demo", "tools")
                 for path in sorted((ROOT / folder).rglob("*.py"))]


@pytest.mark.parametrize("path", LAB_AND_TOOLS, ids=lambda p: str(p.relative_to(ROOT)))
def test_lab_bench_demo_and_tools_never_import_the_tests(path: Path) -> None:
    """netlab/ is the shared lab; test code stays in tests/ (and the lab below its users)."""
    roots = {name.split(".")[0] for name in imports_of(path)}
    assert "tests" not in roots
    if path.is_relative_to(ROOT / "netlab"):
        assert not roots & {"bench", "demo", "tools"}


TEST_MODULES = sorted((ROOT / "tests").rglob("test_*.py"))


@pytest.mark.parametrize("path", TEST_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_test_module_imports_another(path: Path) -> None:
    """Helpers tests share live in helper modules, so each test module stands alone."""
    imported = [name for name in imports_of(path)
                if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_")]
    assert not imported, f"{path.name} imports test modules: {imported}"
