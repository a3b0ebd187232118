"""The control socket with the check module: the VRRP process asks its checker child (on
the child's own socket) and `pykeepalived status --json` gets the virtual and real
servers in the same one round trip, the same as the dump files say."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import pytest

from netlab.lab import wait_for
from netlab.peers import PyNode
from tests.netns.ops.lab import DOWN, UP, check_config

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow]

def test_status_over_the_socket_has_the_checkers_servers(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("d", "r"))
    lab.spawn("r", [sys.executable, "-m", "http.server", str(UP), "--bind", "192.0.2.12"],
              name="http")
    wait_for(lambda: lab.run("r", ["ss", "-ltn"], check=False).stdout.count(f":{UP} "),
             10.0, what="the http server")
    node = PyNode(lab, "d", check_config(), name="chk")
    node.process = lab.spawn("d", [*node.argv(), "--dump-dir", str(node.directory)],
                             name="pykeepalived")
    node.wait_for_log(f"TCP connection to [192.0.2.12]:tcp:{UP} success.", 30.0)
    node.wait_for_log(f"Removing service [192.0.2.12]:tcp:{DOWN}", 15.0)
    assert (node.directory / "pykeepalived.sock.check").exists()

    def status(*extra: str) -> dict[str, Any]:
        done = lab.run("d", [sys.executable, "-m", "pykeepalived", "status", "--json",
                             "--pid", str(node.directory / "keepalived.pid"),
                             "--dir", str(node.directory), *extra], check=False)
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        assert isinstance(doc, dict)
        return doc

    live, dumped = status(), status("--socket", "none")
    assert live["source"] == "control socket"
    (vs,) = live["virtual_servers"]
    alive = {rs["address"]: rs["alive"] for rs in vs["real_servers"]}
    assert alive == {f"192.0.2.12:{UP}": True, f"192.0.2.12:{DOWN}": False}
    (theirs,) = dumped["virtual_servers"]
    assert alive == {rs["address"]: rs["alive"] for rs in theirs["real_servers"]}
    assert node.stop() == 0
    assert not (node.directory / "pykeepalived.sock.check").exists()
