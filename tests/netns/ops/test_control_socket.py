"""The control socket against a running two-node lab: `pykeepalived status` over it
matches the dump files and the observed states after a failover, a tracker failure and
a reload; it exits 2 while an instance is in FAULT; a non-root client is refused, by the
file mode and, with the mode loosened, by the daemon's own peer check."""

from __future__ import annotations

import os
import stat
import sys
from typing import TYPE_CHECKING, Any

import pytest

from netlab.lab import wait_for
from netlab.peers import has_address
from tests.netns.ops.lab import TAKEOVER, VIP, config, start_node

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab
    from tests.netns.ops.lab import OpsNode

pytestmark = [pytest.mark.netns, pytest.mark.slow]

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def instance(doc: dict[str, Any]) -> dict[str, Any]:
    (inst,) = doc["instances"]
    assert isinstance(inst, dict)
    return inst


def same_as_dumps(node: OpsNode) -> dict[str, Any]:
    """The socket's view of the instance, checked against the dump files' view.

    The two are read one after the other: a transition in between (a loaded machine at
    advert_int 0.1) makes them differ honestly, so a pair is read again, a few times."""
    keys = ("name", "interface", "vrid", "state", "base_priority", "effective_priority",
            "master", "reason")
    for _ in range(3):
        live = node.status_json(check_rc=(0, 2))
        dumped = node.status_json("--socket", "none", check_rc=(0, 2))
        mine, theirs = instance(live), instance(dumped)
        if {k: mine[k] for k in keys} == {k: theirs[k] for k in keys}:
            break
    assert live["source"] == "control socket"
    assert dumped["source"] == "pykeepalived.status.json"
    assert {k: mine[k] for k in keys} == {k: theirs[k] for k in keys}
    # epoch from the monotonic clock, converted at each snapshot: equal to the microsecond
    assert mine["last_transition"] == pytest.approx(theirs["last_transition"], abs=1e-3)
    return live


def state_of(node: OpsNode, state: str) -> dict[str, Any] | None:
    doc = node.status_json(check_rc=(0, 2))
    return doc if instance(doc)["state"] == state else None


def test_status_over_the_socket_follows_failover_tracker_and_reload(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b"), base=240)
    a = start_node(lab, "a", 150, tracked=True)
    b = start_node(lab, "b", 100, tracked=False)
    wait_for(lambda: has_address(lab, "a", VIP), TAKEOVER,
             what=f"a to take over; a logged:\n{a.node.log()[-3000:]}")
    b.node.wait_for_log("(VI_OPS) Entering BACKUP STATE")

    assert stat.S_IMODE(os.stat(a.socket).st_mode) == 0o600
    first = same_as_dumps(a)
    assert instance(first)["state"] == "MASTER"
    assert first["scripts"] == [{"name": "chk_flag", "status": "GOOD",
                                 "tracker_state": "good"}]
    assert [t["new"] for t in first["transitions"]][-1] == "MASTER"  # type: ignore[index]
    assert instance(same_as_dumps(b))["state"] == "BACKUP"

    # the tracker fails: a goes to FAULT (exit 2, the reason names the script), b takes over
    assert a.flag is not None
    a.flag.unlink()
    faulted = wait_for(lambda: state_of(a, "FAULT"), 4.0, what="a in FAULT")
    assert "chk_flag" in instance(faulted)["reason"]
    # logged once, with the same reason
    moved = [line for line in a.node.log().splitlines() if "MASTER -> FAULT" in line]
    assert len(moved) == 1, moved
    assert moved[0].endswith(f"(VI_OPS) pykeepalived: MASTER -> FAULT, reason: "
                             f"{instance(faulted)['reason']}")
    assert a.status(check_rc=(2,)).returncode == 2
    wait_for(lambda: has_address(lab, "b", VIP), TAKEOVER, what="b to take over")
    taken = wait_for(lambda: state_of(b, "MASTER"), 2.0, what="b MASTER over the socket")
    assert taken["transitions"][-1]["new"] == "MASTER"  # type: ignore[index]
    assert instance(same_as_dumps(b))["state"] == "MASTER"
    assert instance(same_as_dumps(a))["state"] == "FAULT"

    # the tracker recovers: a (higher priority, preempting) takes the VIP back
    a.flag.touch()
    wait_for(lambda: state_of(a, "MASTER"), 4.0, what="a MASTER again")
    wait_for(lambda: state_of(b, "BACKUP"), 2.0, what="b BACKUP again")
    assert instance(same_as_dumps(b))["reason"]

    # a reload of b with a new priority: shown at once, the same as the dumps
    b.node.reload(config(120, None))
    b.node.wait_for_log("Reload complete")
    wait_for(lambda: instance(b.status_json())["base_priority"] == 120 or None, 3.0,
             what="b's new priority over the socket")
    assert instance(same_as_dumps(b))["effective_priority"] == 120

    assert a.node.stop() == 0
    assert b.node.stop() == 0
    assert not a.socket.exists(), "the socket file is removed at stop"


def test_the_socket_refuses_a_non_root_client(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a",), base=240)
    a = start_node(lab, "a", 150, tracked=False)
    wait_for(lambda: has_address(lab, "a", VIP), TAKEOVER,
             what=f"a to take over; a logged:\n{a.node.log()[-3000:]}")
    assert lab.workdir is not None
    for path in (lab.workdir, a.directory):  # the way to the socket open to all
        os.chmod(path, 0o755)
    argv = [*NOBODY, sys.executable, "-m", "pykeepalived", "status", "--pid",
            str(a.directory / "keepalived.pid"), "--dir", str(a.directory)]
    by_mode = lab.run("a", argv, check=False)
    assert by_mode.returncode == 1, by_mode
    assert "not allowed to use the control socket" in by_mode.stderr
    assert "run as root" in by_mode.stderr

    # the mode loosened by mistake: the daemon itself still refuses (SO_PEERCRED)
    os.chmod(a.socket, 0o666)
    by_peer = lab.run("a", argv, check=False)
    assert by_peer.returncode == 1, by_peer
    assert "permission denied: the control socket answers root only" in by_peer.stderr
    assert "VI_OPS" not in by_peer.stdout
    # root still gets its answer
    assert instance(a.status_json())["state"] == "MASTER"
    assert a.node.stop() == 0
