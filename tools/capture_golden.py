"""Capture golden VRRP packets from real keepalived 2.2.7 into tests/data/golden/.

Two keepalived processes run in a throwaway lab (netlab.lab): node a (priority
150, becomes master) and node b (priority 100, where tcpdump listens). Node a runs one
instance per wire format; once it is master everywhere it is stopped with SIGTERM, so the
capture also holds its priority-0 adverts. Each golden file records the frame, the IP
header fields, the config and the advert the config says should be on the wire (derived
from the scenario table here, never from our decoder). Needs root; takes about 15 s.

    sudo .venv/bin/python -m tools.capture_golden [--out tests/data/golden]

(from the checkout root).
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

from netlab.conf import Auth, Config, GlobalDefs, Instance, Style, Unicast
from netlab.lab import CHECKOUT, Host, Lab, wait_for
from netlab.peers import KeepalivedPeer

KEY_PASS = "secret1"
KEY_AH = "ahkey12"


@dataclass(frozen=True)
class Scenario:
    """One vrrp_instance on node a; `expected` is what its config puts on the wire."""

    golden: str
    instance: str
    version: int
    vrid: int
    vip: str
    auth: str = "NONE"
    unicast: bool = False

    def config(self, me: Host, peer: Host, priority: int) -> Instance:
        key = KEY_PASS if self.auth == "PASS" else KEY_AH
        prefix = 64 if ":" in self.vip else 24
        return Instance(self.instance, self.vrid, priority, [f"{self.vip}/{prefix}"],
                        state="BACKUP", advert="1", version=self.version,
                        auth=None if self.auth == "NONE" else Auth(self.auth, key),
                        unicast=Unicast(str(me.ipv4), [str(peer.ipv4)]) if self.unicast
                        else None)

    def expected(self, priority: int) -> dict[str, object]:
        return {"version": self.version, "vrid": self.vrid, "priority": priority,
                "interval_cs": 100, "addresses": [self.vip], "auth_type": self.auth}


SCENARIOS = (
    Scenario("v2_none", "V2_NONE", 2, 61, "192.0.2.161"),
    Scenario("v2_pass", "V2_PASS", 2, 62, "192.0.2.162", auth="PASS"),
    Scenario("v2_ah", "V2_AH", 2, 63, "192.0.2.163", auth="AH"),
    Scenario("v2_ah_unicast", "V2_AH_UCAST", 2, 67, "192.0.2.167", auth="AH", unicast=True),
    Scenario("v3_ipv4_multicast", "V3_MCAST", 3, 64, "192.0.2.164"),
    Scenario("v3_ipv4_unicast", "V3_UCAST", 3, 65, "192.0.2.165", unicast=True),
    Scenario("v3_ipv6_multicast", "V3_IPV6", 3, 66, "2001:db8::166"),
)
PRIORITY_ZERO_FROM = "v3_ipv4_multicast"
MULTICAST_V3 = next(s for s in SCENARIOS if s.golden == PRIORITY_ZERO_FROM)


def config(me: Host, peer: Host, priority: int) -> Config:
    """Node `me`'s keepalived.conf, laid out as the stored goldens' `node_config` (tests
    edit that text by string: `unicast_peer { 192.0.2.12 }`)."""
    return Config(global_defs=GlobalDefs(router_id=f"node_{me.name}"),
                  instances=[s.config(me, peer, priority) for s in SCENARIOS],
                  style=Style(inline=True, blank_line=True))


# ------------------------------------------------------------------ frame parsing


@dataclass(frozen=True)
class Seen:
    """A frame from node a, split just enough to pick golden packets (no project code)."""

    frame: bytes
    kind: str  # "vrrp4", "ah4", "vrrp6", "arp", "na"
    ip_fields: dict[str, object]
    payload: bytes

    @property
    def vrid_priority(self) -> tuple[int, int]:
        body = self.payload[24:] if self.kind == "ah4" else self.payload
        return body[1], body[2]


def classify(frame: bytes) -> Seen | None:
    ethertype = struct.unpack_from("!H", frame, 12)[0]
    if ethertype == 0x0806:
        return Seen(frame, "arp", {}, frame[14:])
    if ethertype == 0x0800:
        ip = frame[14:]
        header_len = (ip[0] & 0x0F) * 4
        fields = {"source": str(IPv4Address(ip[12:16])),
                  "destination": str(IPv4Address(ip[16:20])), "protocol": ip[9],
                  "ttl": ip[8], "tos": ip[1], "ident": struct.unpack_from("!H", ip, 4)[0],
                  "header_hex": ip[:header_len].hex()}
        kind = {112: "vrrp4", 51: "ah4"}.get(ip[9])
        return Seen(frame, kind, fields, ip[header_len:]) if kind else None
    if ethertype == 0x86DD:
        ip = frame[14:]
        fields = {"source": str(IPv6Address(ip[8:24])),
                  "destination": str(IPv6Address(ip[24:40])), "protocol": ip[6],
                  "ttl": ip[7],
                  "tos": (struct.unpack_from("!I", ip)[0] >> 20) & 0xFF, "ident": 0,
                  "header_hex": ip[:40].hex()}
        if ip[6] == 112:
            return Seen(frame, "vrrp6", fields, ip[40:])
        if ip[6] == 58 and ip[40] == 136:
            return Seen(frame, "na", fields, ip[40:])
    return None


def from_node(frames: list[bytes], mac: bytes) -> list[Seen]:
    seen = (classify(frame) for frame in frames if frame[6:12] == mac)
    return [s for s in seen if s is not None]


def pick_advert(seen: list[Seen], scenario: Scenario, *, priority_zero: bool) -> Seen | None:
    kind = "vrrp6" if ":" in scenario.vip else ("ah4" if scenario.auth == "AH" else "vrrp4")
    for s in seen:
        vrid, priority = s.vrid_priority if s.kind == kind else (0, -1)
        if vrid == scenario.vrid and (priority == 0) == priority_zero:
            return s
    return None


def pick_gratuitous(seen: list[Seen], kind: str, vip: str) -> Seen | None:
    packed = ip_address(vip).packed
    for s in seen:
        if s.kind == kind and (s.payload[14:18] == packed if kind == "arp"
                               else s.payload[8:24] == packed):
            return s
    return None


# ------------------------------------------------------------------ running it


def capture(workdir: Path | None = None) -> tuple[list[Seen], str, str]:
    """Run the two nodes and return node a's frames, its config and keepalived -v."""
    version = subprocess.run(["keepalived", "-v"], capture_output=True, text=True,
                             check=True, timeout=10)
    with Lab(["a", "b"], prefix="gldcap", workdir=workdir) as lab:
        a, b = lab.host("a"), lab.host("b")
        config_a = config(a, b, 150)
        with lab.capture("b") as cap:
            KeepalivedPeer(lab, "b", config(b, a, 100), name="b").start()
            node_a = KeepalivedPeer(lab, "a", config_a, name="a").start()
            for scenario in SCENARIOS:
                node_a.wait_for_log(f"({scenario.instance}) Entering MASTER STATE", 15)

            def have_all_adverts() -> bool:
                seen = from_node(cap.frames(), a.mac_bytes)
                return all(pick_advert(seen, s, priority_zero=False) for s in SCENARIOS)

            wait_for(have_all_adverts, 5, what="one advert per instance")
            node_a.stop()
            wait_for(lambda: pick_advert(from_node(cap.frames(), a.mac_bytes),
                                         MULTICAST_V3, priority_zero=True),
                     5, what="a priority-0 advert")
        seen = from_node(cap.frames(), a.mac_bytes)
        return seen, config_a.text(), (version.stdout + version.stderr).splitlines()[0]


def golden_records(
    seen: list[Seen], config_a: str, keepalived: str
) -> dict[str, dict[str, object]]:
    common = {"keepalived": keepalived, "node_config": config_a,
              "captured_on": "node b (eth0), frame sent by node a (MAC 02:00:00:00:0a:01)"}
    records: dict[str, dict[str, object]] = {}
    for scenario in SCENARIOS:
        for priority_zero in (False, True):
            if priority_zero and scenario.golden != PRIORITY_ZERO_FROM:
                continue
            s = pick_advert(seen, scenario, priority_zero=priority_zero)
            if s is None:
                raise SystemExit(f"no advert captured for {scenario.golden}")
            name = "v3_ipv4_priority0" if priority_zero else scenario.golden
            record: dict[str, object] = {
                **common, "name": name, "instance": scenario.instance, "kind": "advert",
                "frame_hex": s.frame.hex(), "ip": s.ip_fields, "payload_hex": s.payload.hex(),
                "expected": scenario.expected(0 if priority_zero else 150),
                "checksum_mode": "keepalived"}
            if scenario.auth != "NONE":
                record["auth_key"] = KEY_PASS if scenario.auth == "PASS" else KEY_AH
            if scenario.auth == "AH":
                record["ah_sequence"] = struct.unpack_from("!I", s.payload, 8)[0]
            records[name] = record
    for kind, vip, name in (("arp", "192.0.2.164", "garp"), ("na", "2001:db8::166", "na")):
        s = pick_gratuitous(seen, kind, vip)
        if s is None:
            raise SystemExit(f"no {kind} captured for {vip}")
        records[name] = {**common, "name": name, "kind": kind, "frame_hex": s.frame.hex(),
                         "ip": s.ip_fields, "vip": vip, "mac": "02:00:00:00:0a:01",
                         "router_flag": False}
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.capture_golden",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CHECKOUT / "tests" / "data" / "golden")
    args = parser.parse_args(argv)
    seen, config_a, keepalived = capture()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, record in golden_records(seen, config_a, keepalived).items():
        path = args.out / f"{name}.json"
        path.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {path.relative_to(CHECKOUT) if path.is_relative_to(CHECKOUT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
