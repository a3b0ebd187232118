"""The daemons the process-fault tests run: either implementation from the same text.

`node(lab, kind, host, config)` gives a pykeepalived (`PyNode`) or a keepalived 2.2.7
(`KeepalivedPeer`) daemon; `IMPLEMENTATIONS` parametrises a test over both, keepalived
marked as needing the Debian binary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from netlab.peers import KeepalivedPeer, PyNode

if TYPE_CHECKING:
    from netlab.conf import Config
    from netlab.lab import Lab

PYKA = "pykeepalived"
KA = "keepalived"
IMPLEMENTATIONS = [pytest.param(PYKA, id=PYKA),
                   pytest.param(KA, id=KA, marks=pytest.mark.keepalived)]


def node(lab: Lab, kind: str, host: str, config: Config) -> PyNode | KeepalivedPeer:
    if kind == PYKA:
        return PyNode(lab, host, config)
    return KeepalivedPeer(lab, host, config)


#: the start of a figures line; bench/faults_process.py collects them
FIGURES = "FIGURES"


def report(scenario: str, kind: str, figures: dict[str, object]) -> None:
    """One line of figures on the test's output (`pytest -s`, or a failure's report):
    `FIGURES <scenario> | <implementation> | name=value, ...`."""
    print(f"\n{FIGURES} {scenario} | {kind} | " + ", ".join(f"{k}={v}" for k, v in figures.items()))
