"""Our split-brain keywords in a config real keepalived runs: it warns and carries on.

Every keyword of ours is a one-line statement, so keepalived 2.2.7 logs `Unknown keyword`
for each and runs the instance as if they were not there (a block would not do: its
closing brace would end the vrrp_instance). pykeepalived -t accepts the same file
(exit 0) where keepalived -t counts the warnings as errors (exit 5): that difference is
ours, documented in docs/split-brain.md.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

from netlab.conf import instance_conf
from netlab.faults import vip_holders
from netlab.lab import wait_for
from netlab.peers import KeepalivedPeer

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.keepalived]

OURS = ["witness 192.0.2.1 192.0.2.3", "witness_interval 0.05", "witness_loss 3",
        "split_brain_announce", "lease_witness http://192.0.2.90:2379", "lease_ttl 3",
        "lease_key /ha/web", "lease_unreachable vrrp"]


def test_keepalived_runs_a_config_with_our_keywords(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a",), base=96, prefix="sbkw")
    config = instance_conf(vrid=97, priority=150, vip="192.0.2.197/24", extra=OURS)
    node = KeepalivedPeer(lab, "a", config).start()
    wait_for(lambda: vip_holders(lab, ("a",), "192.0.2.197") == {"a"}, 10.0,
             what="keepalived to take the VIP despite our keywords")
    log = node.log()
    for line in OURS:
        assert f"Unknown keyword '{line.split()[0]}'" in log, log
    checked = {}
    for name, argv in (("keepalived", ["keepalived", "-t", "-f", str(node.config_path)]),
                       ("pykeepalived", [sys.executable, "-m", "pykeepalived", "-t", "-f",
                                         str(node.config_path)])):
        checked[name] = lab.run("a", argv, check=False).returncode
    assert checked == {"keepalived": 5, "pykeepalived": 0}, checked
