"""Mixed pykeepalived/keepalived clusters for the interop tests: configs, packets, counters.

One keepalived.conf text per variant runs on both implementations (only priority and the
unicast addresses differ), so any difference seen on the wire is the implementation's.
The daemons themselves, with a private /tmp for their dumps, are netlab.peers'.

Numbers owned here: namespace prefix `iop`, VRIDs 200-219, VIPs 192.0.2.200-219 and
2001:db8::200-219; lab hosts get 192.0.2.221+ (Lab base 220).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netlab.conf import Auth, Unicast, instance_conf
from netlab.lab import wait_for
from netlab.peers import DUMP_SIGNALS

if TYPE_CHECKING:
    from netlab.conf import Config
    from netlab.lab import Host
    from netlab.peers import PrivatePyNode

PREFIX = "iop"
#: hosts are 192.0.2.221.. and 2001:db8::221..: clear of the VIPs 200-219
LAB_BASE = 220
#: several Master_Down_Intervals at 0.1 s adverts, plus a Python daemon's start-up
TAKEOVER = 6.0
#: VRRPv2 at 1 s adverts: Master_Down_Interval is 3.6 s for priority 100
V2_TAKEOVER = 10.0

#: keepalived's words for a packet it refused (vrrp.c vrrp_check_packet and friends),
#: plus pykeepalived's own "dropped packet" line
PACKET_ERROR_WORDS = ("invalid", "checksum", "wrong version", "unexpected", "ttl",
                      "mismatch", "not present in master advert", "discarding",
                      "dropped packet", "error")
#: the refusals a healthy election produces on purpose
EXPECTED_REFUSALS = ("received lower priority", "forcing new election")

@dataclass(frozen=True)
class Variant:
    """One way to run a cluster: VRRP version, family, multicast or unicast, auth."""

    name: str
    version: int = 3
    ipv6: bool = False
    unicast: bool = False
    password: str = ""

    @property
    def advert(self) -> str:
        return "1" if self.version == 2 else "0.1"

    @property
    def takeover(self) -> float:
        return V2_TAKEOVER if self.version == 2 else TAKEOVER

    def vip(self, number: int) -> str:
        return f"2001:db8::{number}" if self.ipv6 else f"192.0.2.{number}"

    def vip_spec(self, number: int) -> str:
        return f"{self.vip(number)}/64" if self.ipv6 else f"{self.vip(number)}/24"


V3_MULTICAST = Variant("v3-multicast")
V3_UNICAST = Variant("v3-unicast", unicast=True)
V2_PASS = Variant("v2-pass", version=2, password="iop-pass")
V3_IPV6 = Variant("v3-ipv6", ipv6=True)


def variant_conf(variant: Variant, *, vrid: int, priority: int, me: Host,
                 peers: list[Host]) -> Config:
    """keepalived.conf for one node of a `variant` cluster with VIP .`vrid` (VI_T)."""
    unicast = Unicast(str(me.ipv4), [str(peer.ipv4) for peer in peers])
    return instance_conf(vrid=vrid, priority=priority, vip=variant.vip_spec(vrid),
                         version=variant.version, advert=variant.advert,
                         unicast=unicast if variant.unicast else None,
                         auth=Auth("PASS", variant.password) if variant.password else None)


def packet_errors(log: str) -> list[str]:
    """Log lines where a daemon refused a packet, but for the refusals elections make."""
    lines = log.splitlines()
    return [line for line in lines
            if any(word in line.lower() for word in PACKET_ERROR_WORDS)
            and not any(ok in line.lower() for ok in EXPECTED_REFUSALS)]


@dataclass(frozen=True)
class Counters:
    """One JSON dump of a pykeepalived daemon: per instance, its state and every counter.

    `states` and keepalived's fourteen counters come from keepalived.json; the counters
    keepalived keeps for SNMP only (chk_err, vers_err...) from our status file beside it.
    """

    states: dict[str, int]
    counts: dict[str, dict[str, int]]
    status_text: str


def read_counters(node: PrivatePyNode, timeout: float = 5.0) -> Counters:
    """SIGRTMIN+2, then both files it writes (atomically: present means complete)."""
    directory = node.directory
    json_path = directory / "keepalived.json"
    status_path = directory / "pykeepalived.status.json"
    json_path.unlink(missing_ok=True)
    status_path.unlink(missing_ok=True)
    os.kill(node.daemon_pid(), DUMP_SIGNALS["keepalived.json"])
    wait_for(lambda: json_path.exists() and status_path.exists(), timeout,
             what=f"the JSON dumps of pykeepalived on {node.host}")
    dump = json.loads(json_path.read_text())
    status_text = status_path.read_text()
    extras = {i["name"]: i["extra_stats"] for i in json.loads(status_text)["instances"]}
    states = {entry["data"]["iname"]: entry["data"]["state"] for entry in dump}
    counts = {entry["data"]["iname"]: {**entry["stats"], **extras[entry["data"]["iname"]]}
              for entry in dump}
    return Counters(states, counts, status_text)
