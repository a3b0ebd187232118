"""Helpers of the in-VM check tests: directors' IPVS listings, bounded settling, printing.

The check tests run real daemons (`keepalived -C`, `pykeepalived -C`, netlab/peers.py)
in LvsLab directors (netlab/lvs.py) against tiny servers (netlab/nsservers.py) and read
the kernel's view with ipvsadm. Every wait polls with a deadline; "settled" means the
same listing twice in a row, `interval` apart, once the caller's condition holds.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TypeVar

from tests.ipvs.ipvs_lab import Block, table

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")

#: the listings compared: plain, with persistent-connection counters, with tunnel info
LISTINGS: dict[str, tuple[str, ...]] = {
    "-Ln": (), "-Ln --persistent-conn": ("--persistent-conn",),
    "-Ln --tun-info": ("--tun-info",)}


def listings(ns: str) -> dict[str, list[Block]]:
    return {name: table(ns, *options) for name, options in LISTINGS.items()}


def render(blocks: list[Block]) -> str:
    """A listing as an operator reads it (sorted), for the test's output."""
    out: list[str] = []
    for service, dests in blocks:
        out.append(service)
        out += [f"  {dest}" for dest in dests]
    return "\n".join(out) or "(empty)"


def settle(read: Callable[[], T], *, until: Callable[[T], bool] = lambda _v: True,
           timeout: float, interval: float = 1.0) -> tuple[T, bool]:
    """Poll `read` until `until` holds for a value read twice in a row; bounded.

    Returns the last value and whether it settled before the deadline (a caller that
    compares two implementations wants the last value even when it did not)."""
    deadline = time.monotonic() + timeout
    previous: T | None = None
    value = read()
    for _ in range(int(timeout / interval) + 2):
        if previous is not None and value == previous and until(value):
            return value, True
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
        previous, value = value, read()
    return value, False


def wait_until(read: Callable[[], T], until: Callable[[T], bool], *, timeout: float,
               interval: float = 0.2, what: str) -> tuple[T, float]:
    """Poll until `until(read())` holds; the value and the seconds it took. Bounded."""
    started = time.monotonic()
    deadline = started + timeout
    value = read()
    for _ in range(int(timeout / interval) + 2):
        if until(value):
            return value, time.monotonic() - started
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
        value = read()
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}; last: {value!r}")
