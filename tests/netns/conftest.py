"""Fixtures for tests that run real processes in network namespaces (netlab.lab)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from netlab.lab import Lab

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence


@pytest.fixture
def make_lab(request: pytest.FixtureRequest) -> Iterator[Callable[..., Lab]]:
    """Build labs on demand; every lab made is torn down after the test, pass or fail.

    The namespace prefix comes from the test's name, so a leftover is easy to trace and
    concurrent runs (other tests, other engineers) never share a namespace.
    """
    labs: list[Lab] = []
    prefix = re.sub(r"[^a-z0-9]", "", request.node.name.lower().removeprefix("test_"))[:8]

    def make(hosts: Sequence[str] = ("a", "b"), **kwargs: object) -> Lab:
        kwargs.setdefault("prefix", prefix or "lab")
        lab = Lab(hosts, **kwargs)  # type: ignore[arg-type]
        labs.append(lab)
        return lab.__enter__()

    try:
        yield make
    finally:
        for lab in reversed(labs):
            lab.teardown()


@pytest.fixture
def lab(make_lab: Callable[..., Lab]) -> Lab:
    """Two hosts, `a` (192.0.2.11) and `b` (192.0.2.12), on one bridge."""
    return make_lab(("a", "b"))
