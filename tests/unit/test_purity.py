"""The sans-I/O rule, enforced: protocol modules import no I/O, clock or process machinery.

The VRRP core, the check core and the simulator must stay pure functions of
(state, event, now), so the same code runs under the virtual clock and in the daemon;
the spec builder must stay a pure function of (config, host facts), so a reload can be
built and judged before anything is touched.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "pykeepalived"
PURE_PACKAGES = ("vrrp", "check", "sim", "specs")
FORBIDDEN = {
    "asyncio", "socket", "time", "subprocess", "os", "pyroute2", "threading",
    "select", "signal", "logging", "selectors", "multiprocessing", "shutil",
}


def pure_modules() -> list[Path]:
    found: list[Path] = []
    for name in PURE_PACKAGES:
        found.extend(sorted((PACKAGE / name).rglob("*.py")))
    return found


def imported_roots(tree: ast.AST) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_pure_packages_exist() -> None:
    assert pure_modules(), "no pure modules found: the layout moved, update this test"


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = imported_roots(tree) & FORBIDDEN
    assert not bad, f"{path.name} imports I/O machinery: {sorted(bad)}"
