"""Our live daemon's dump files have keepalived's shape, checked against keepalived itself.

pykeepalived and keepalived 2.2.7 run side by side, each in its private /tmp, with the
same two instances (VRRPv3, and VRRPv2 with a password) under different VRIDs so both
become MASTER of both. Each gets SIGUSR1, SIGUSR2 and SIGRTMIN+2; the files must agree
in what an exporter parses: JSON keys in order per instance, the stats file's lines, and
the `Key = Value` keys of the data dump's "VRRP Topology" section. Values may differ.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from netlab.conf import Auth, Config, GlobalDefs, Instance
from netlab.peers import PrivateKeepalived, PrivatePyNode, read_dump, wait_address
from tests.netns.interop.cluster import LAB_BASE, PREFIX, V2_TAKEOVER

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.keepalived, pytest.mark.slow]

#: (v3 instance VRID, v2 instance VRID) per implementation
VRIDS = {"py": (216, 208), "ka": (217, 209)}


def twin_conf(v3_vrid: int, v2_vrid: int) -> Config:
    return Config(
        global_defs=GlobalDefs(router_id=f"iop-dumps-{v3_vrid}"),
        instances=[
            Instance("VI_A", v3_vrid, 200, [f"192.0.2.{v3_vrid}/24", f"2001:db8::{v3_vrid}/64"],
                     version=3, advert="0.1"),
            Instance("VI_B", v2_vrid, 200, [f"192.0.2.{v2_vrid}/24"], version=2, advert="1",
                     auth=Auth("PASS", f"iop-{v2_vrid}")),
        ])


def json_shape(text: str) -> list[list[tuple[str, list[str]]]]:
    """Per instance, its top-level keys and each one's keys, in file order."""
    document = json.loads(text, object_pairs_hook=list)
    return [[(key, [inner for inner, _ in value]) for key, value in entry]
            for entry in document]


def stats_keys(text: str) -> list[str]:
    return [line.split(":")[0] for line in text.splitlines()]


def topology_keys(text: str) -> list[str]:
    """`Key = Value` keys of the VRRP Topology section (indentation kept: it is nesting)."""
    section = text.split("------< VRRP Topology >------", 1)[1]
    section = re.split(r"^------< ", section, maxsplit=1, flags=re.MULTILINE)[0]
    return [line.split(" = ", 1)[0] for line in section.splitlines() if " = " in line]


def test_live_dumps_have_keepalived_keys_in_keepalived_order(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("p", "k"), prefix=PREFIX, base=LAB_BASE)
    ours = PrivatePyNode(lab, "p", twin_conf(*VRIDS["py"]), name="dumps")
    theirs = PrivateKeepalived(lab, "k", twin_conf(*VRIDS["ka"]), name="dumps")
    ours.start()
    theirs.start()
    for host, vrids in (("p", VRIDS["py"]), ("k", VRIDS["ka"])):
        for vrid in vrids:
            wait_address(lab, host, f"192.0.2.{vrid}", timeout=V2_TAKEOVER)

    dumps = {}
    for host, directory, pid in (("p", ours.directory, ours.daemon_pid()),
                                 ("k", theirs.directory, theirs.daemon_pid())):
        dumps[host] = {name: read_dump(directory, name, pid)
                       for name in ("keepalived.json", "keepalived.stats", "keepalived.data")}
    py, ka = dumps["p"], dumps["k"]

    assert json_shape(py["keepalived.json"]) == json_shape(ka["keepalived.json"])
    assert stats_keys(py["keepalived.stats"]) == stats_keys(ka["keepalived.stats"])
    assert topology_keys(py["keepalived.data"]) == topology_keys(ka["keepalived.data"])
    assert len(topology_keys(ka["keepalived.data"])) > 20, "the section was not found"
