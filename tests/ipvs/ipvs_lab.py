"""Helpers of the in-VM IPVS tests: the adapter on one event loop, ipvsadm's view, a netns.

The adapter is asyncio; the tests are plain functions that drive it through one
`asyncio.Runner` per module (its socket belongs to that loop). Every command is bounded
in time. `table()` reads `ipvsadm -Ln` (with any listing option) into sorted
(service row, destination rows) blocks, blanks squeezed, so a comparison does not depend
on the kernel's hash order.
"""

from __future__ import annotations

import asyncio
import subprocess
from typing import TYPE_CHECKING, Any, TypeVar

from pykeepalived.adapters.ipvs import Ipvs

if TYPE_CHECKING:
    from collections.abc import Coroutine

T = TypeVar("T")

COMMAND_TIMEOUT = 20.0
#: ipvsadm's listing headers: version, service columns, destination columns
HEADER_LINES = 3

Block = tuple[str, tuple[str, ...]]


def run(*argv: str, ns: str | None = None, check: bool = True) -> str:
    """Run a command (in namespace `ns`); its stdout, or a failure naming its stderr."""
    full = ["ip", "netns", "exec", ns, *argv] if ns else list(argv)
    done = subprocess.run(full, capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                          check=False)
    if check:
        assert done.returncode == 0, f"{' '.join(full)} exited {done.returncode}: {done.stderr}"
    return done.stdout


def squeeze(line: str) -> str:
    return " ".join(line.split())


def table(ns: str, *options: str) -> list[Block]:
    """`ipvsadm -Ln [options]` as sorted blocks: (service row, sorted destination rows)."""
    lines = run("ipvsadm", "-Ln", *options, ns=ns).splitlines()
    assert lines, f"ipvsadm -Ln {' '.join(options)} printed nothing"
    assert lines[0].startswith("IP Virtual Server version"), lines
    blocks: list[tuple[str, list[str]]] = []
    for line in lines[HEADER_LINES:]:
        row = squeeze(line)
        if row.startswith("->"):
            blocks[-1][1].append(row)
        elif row:
            blocks.append((row, []))
    return sorted((service, tuple(sorted(dests))) for service, dests in blocks)


def blocks(*expected: tuple[str, list[str]]) -> list[Block]:
    return sorted((service, tuple(sorted(dests))) for service, dests in expected)


class AdapterLoop:
    """One event loop and one open `Ipvs` in a namespace, for a module's tests."""

    def __init__(self, netns: str) -> None:
        self.netns = netns
        self.runner = asyncio.Runner()
        self.ipvs: Ipvs = self.run(Ipvs.open(netns=netns))

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(asyncio.wait_for(coro, COMMAND_TIMEOUT))

    def close(self) -> None:
        try:
            self.run(self.ipvs.close())
        finally:
            self.runner.close()
