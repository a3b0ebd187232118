"""virtual_routes / virtual_rules / static_* lines: keepalived 2.2.7's parse-time words.

Every expected message was printed by `keepalived -t -f FILE` (2.2.7, Debian) for the
same line (tests/data/configs/words/routes.conf, rules.conf and statics.conf run both in
tests/integration/test_config_vs_keepalived.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.host import HostFacts
from pykeepalived.config.load import load_config, load_text
from tests.unit.config.checks import HOST
from tests.unit.config.checks import vrrp as _vrrp

if TYPE_CHECKING:
    from pathlib import Path

NO_TRACK = "Warning - cannot track route {} with no interface specified, not tracking"


def _routes(entry: str) -> tuple[Any, list[str]]:
    """One route on line 13; the complaints without their "(Line 13) "."""
    inst, said = _vrrp(f" virtual_routes {{\n  {entry}\n }}\n")
    assert all(m.startswith("(Line 13) ") for m in said)
    return inst.virtual_routes, [m.removeprefix("(Line 13) ") for m in said]


def _rules(entry: str) -> tuple[Any, list[str]]:
    inst, said = _vrrp(f" virtual_rules {{\n  {entry}\n }}\n")
    assert all(m.startswith("(Line 13) ") for m in said)
    return inst.virtual_rules, [m.removeprefix("(Line 13) ") for m in said]


@pytest.mark.parametrize(("entry", "kept", "messages"), [
    ("192.0.2.0/24 dev eth0", True, []),
    ("192.0.2.0/24 via 192.0.2.1", True, [NO_TRACK.format("192.0.2.0/24")]),
    ("192.0.2.0/24 dev eth0 no_track table 100 scope link metric 5 mtu lock 1400", True, []),
    ("default via 192.0.2.1 dev eth0", True, []),
    ("blackhole 198.51.100.40/30", True, [NO_TRACK.format("198.51.100.40/30")]),
    # a device this host lacks: keepalived reads no further and its vrrp child stops
    # (BAD_IF); ours runs regardless and keeps the line as written
    ("198.51.100.0/25 dev nosuch0 metric x", True,
     ["WARNING - interface nosuch0 for VROUTE nexthop doesn't exist"]),
    ("bogus via 192.0.2.1", False,
     ["VRRP parsed invalid IP bogus. skipping IP...", "unknown route keyword bogus"]),
    ("198.51.100.0/24 via 192.0.2.1 dev eth0 metric x", False,
     ["invalid number 'x'", "Invalid metric x specified for route"]),
    ("198.51.100.0/24 dev eth0 metric 4294967296", False,
     ["number '4294967296' outside unsigned integer range",
      "Invalid metric 4294967296 specified for route"]),
    ("198.51.100.0/24 dev eth0 table nosuch", False,
     ["Routing table nosuch not found for route"]),
    ("198.51.100.0/24 dev eth0 scope bogus", False,
     ["Scope bogus not found or invalid for route"]),
    ("198.51.100.0/24 dev eth0 protocol bogus", False,
     ["Protocol bogus not found or invalid for route"]),
    ("198.51.100.0/24 dev eth0 protocol static", True,
     ["Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol"]),
    ("198.51.100.0/24 dev eth0 via 2001:db8::1", False,
     ["Cannot mix IPv4 and IPv6 addresses for route"]),
    ("2001:db8:1::/64 via 192.0.2.1", False, ["Cannot mix IPv4 and IPv6 addresses for route"]),
    ("198.51.100.0/24 dev eth0 src 198.51.100.300", False,
     ["VRRP parsed invalid IP 198.51.100.300. skipping IP...",
      "invalid route src address 198.51.100.300"]),
    ("198.51.100.0/24 dev eth0 gw 192.0.2.1", True,
     ['"gw" for routes is deprecated. Please use "via"']),
    ("198.51.100.0/24 dev eth0 hoplimit 256", False,
     ["number '256' outside range [0, 255]", "Invalid hoplimit 256 specified for route"]),
    ("198.51.100.0/24 dev eth0 tos 0x100", False, ["TOS value 0x100 is invalid"]),
    ("dev eth0", False, ["Route must have a destination"]),
    ("198.51.100.0/24 dev eth0 foo", False,
     ["VRRP parsed invalid IP foo. skipping IP...", "unknown route keyword foo"]),
    ("198.51.100.0/24 dev eth0 features foo", True, ["feature foo not supported"]),
    ("198.51.100.0/24 dev eth0 pref low", False, ["pref is only valid for IPv6"]),
    ("198.51.100.0/24 dev eth0 expires 5", False, ["expires is only valid for IPv6"]),
    ("198.51.100.0/24 dev eth0 from 192.0.2.0/24", False,
     ["route from address only supported with IPv6 (192.0.2.0/24)"]),
    ("2001:db8::/64 dev eth0 realms 5", False, ["realms are only valid for IPv4"]),
    ("2001:db8::/64 dev eth0 rtt 1000000", False,
     ["number '1000000' outside range [0., 960000.]", "Invalid rtt 1000000 for route"]),
    ("2001:db8::/64 dev eth0 rtt 1e3", False, ["Invalid rtt 1e3 for route"]),
    ("2001:db8::/64 dev eth0 rtt 5 rttvar 1s rto_min 100ms", True, []),
    ("2001:db8::/64 dev eth0 encap foo", True, ["Unknown encap type - foo"]),
    ("2001:db8::/64 dev eth0 quickack 2", False,
     ["number '2' outside range [0, 1]", "Invalid quickack value 2 specified for route"]),
    ("2001:db8::/64 dev eth0 as to 5", True, ['"as to" for MPLS only - ignoring']),
    ("2001:db8::/64 dev eth0 ttl-propagate x congctl lock cubic", True,
     ["ttl-propagate value x not recognised"]),
    # a bad next hop is complained about and the route kept
    ("2001:db8::/64 nexthop via 2001:db8::1 dev eth0 weight 0", True,
     ["Invalid weight 0 specified for route", NO_TRACK.format("2001:db8::/64")]),
    ("2001:db8::/64 nexthop via 2001:db8::1 dev eth0 weight 2 nexthop via 2001:db8::2 foo",
     True, ["Route has trailing nonsense after nexthops - foo", NO_TRACK.format("2001:db8::/64")]),
    ("2001:db8::/64 nexthop via 192.0.2.1", True,
     ["Address family mismatch for next hop", NO_TRACK.format("2001:db8::/64")]),
    ("2001:db8::/64 via 2001:db8::1 or 2001:db8::2 or 2001:db8::3 dev eth0", True,
     ['"or" for routes is deprecated. Please use "nexthop"'] * 2
     + ['"or" route already specified - ignoring subsequent']),
    ("2001:db8::/64 via 2001:db8::1 or 2001:db8::2 nexthop via 2001:db8::3", False,
     ['"or" for routes is deprecated. Please use "nexthop"',
      'Cannot specify nexthops with "or" route', "Route has trailing nonsense - nexthop"]),
    ("track_group x", False,  # static routes only
     ["VRRP parsed invalid IP track_group. skipping IP...", "unknown route keyword track_group"]),
])
def test_route_words(entry: str, kept: bool, messages: list[str]) -> None:
    routes, said = _routes(entry)
    assert said == messages
    assert [r.words for r in routes] == ([tuple(entry.split())] if kept else [])


@pytest.mark.parametrize(("entry", "family"), [
    ("192.0.2.0/24 dev eth0", 4), ("2001:db8::/64 dev eth0", 6), ("default dev eth0", 4),
    # keepalived 2.2.7 steps over the word after inet/inet6 (its index moves twice) and
    # so drops these lines ("Route must have a destination"); ours honours the word
    ("inet6 default dev eth0", 6), ("inet6 2001:db8::/64 dev eth0", 6),
])
def test_route_family(entry: str, family: int) -> None:
    routes, said = _routes(entry)
    assert said == []
    assert [(r.family, r.devices) for r in routes] == [(family, ("eth0",))]


def test_route_missing_value_stops_reading() -> None:
    result = load_text("vrrp_instance VI_1 {\n interface eth0\n virtual_routes {\n"
                       "  198.51.100.72/30 dev eth0 metric\n }\n}\n", path="k.conf", host=HOST)
    assert [d.render(with_file=False) for d in result.diagnostics] == [
        "(Line 4) *** Configuration line starting `198.51.100.72/30` is missing a parameter"
        " after keyword `metric` at word position 5"]
    assert (result.aborted, result.config) == (True, None)


def test_route_table_names_come_from_the_host() -> None:
    host = replace(HOST, rt_names={"rt_tables": ((100, "vips"),), "rt_protos": ((5, "x"),)})
    inst, said = _vrrp(" virtual_routes {\n  192.0.2.0/24 dev eth0 table vips\n"
                       "  192.0.2.0/25 dev eth0 table main\n  192.0.2.0/26 dev eth0 table nope\n"
                       " }\n", host)
    assert said == ["(Line 15) Routing table nope not found for route"]
    assert len(inst.virtual_routes) == 2


@pytest.mark.parametrize(("entry", "kept", "messages"), [
    ("from 192.0.2.0/24 table 100 priority 5", True, []),
    ("from 192.0.2.0/24 table 100 priority 0x10", True, []),
    ("from 192.0.2.0/24 table 100", True,
     ["Rule has no preference specified - setting to 16384. This is probably not what you"
      " want."]),
    ("from 192.0.2.0/24 table nosuch priority 6", False,
     ["Routing table nosuch not found for rule"]),
    ("from 192.0.2.0/24 table 0 priority 7", False, ["Table 0 is not valid"]),
    ("from 192.0.2.0/24 table 100 priority x", False,
     ["invalid number 'x'", "Invalid rule preference priority specified"]),
    ("from 192.0.2.0/24 table 100 priority -1", False,
     ["negative number '-1'", "Invalid rule preference priority specified"]),
    ("from bogus table 100 priority 8", False,
     ["VRRP parsed invalid IP bogus. skipping IP...", "Invalid rule from address bogus"]),
    ("to 2001:db8::/64 from 192.0.2.0/24 table 100 priority 9", False,
     ["rule specification has mixed IPv4 and IPv6"]),
    ("from 192.0.2.0/24 priority 10", False, ["No action specified for rule - ignoring"]),
    ("from 192.0.2.0/24 table 100 priority 11 bogus", False, ["Unknown rule option bogus"]),
    ("from all iif eth0 table 101 pref 102", False, ["Unknown rule option pref"]),
    ("from 192.0.2.0/24 table 100 priority 12 fwmark x", False,
     ["Invalid rule fwmark x specified"]),
    ("from 192.0.2.0/24 table 100 priority 13 fwmark 0x10/0xff", True, []),
    ("from 192.0.2.0/24 goto 100 priority 15", True, []),
    ("from 192.0.2.0/24 goto 10 priority 16", False,
     ["Invalid rule - preference 16 >= goto target 10"]),
    ("from 192.0.2.0/24 goto 10", False,
     ["Invalid rule - goto target 10 specified without preference"]),
    ("from 192.0.2.0/24 blackhole priority 17", True, []),
    ("from 192.0.2.0/24 unicast priority 18", False, ["Invalid rule action unicast"]),
    ("from 192.0.2.0/24 blackhole table 100 priority 19", False,
     ["Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for"
      " rule"]),
    ("from 192.0.2.0/24 table 100 nop priority 20", False,
     ["Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev"
      " for rule"]),
    ("from 192.0.2.0/24 table 100 priority 21 dev nosuch0 bogus", True,
     ["WARNING - interface nosuch0 for rule doesn't exist"]),
    ("from 192.0.2.0/24 table 100 priority 23 protocol 300", True,
     ["number '300' outside range [0, 255]", "Invalid protocol 300"]),
    ("from 192.0.2.0/24 table 100 priority 24 protocol 5", True,
     ["Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol"]),
    # keepalived 2.2.7 refuses one port (it counts sscanf's fields after widening them)
    ("from 192.0.2.0/24 table 100 priority 25 ipproto tcp sport 80 dport 1000-2000", True,
     ["invalid sport range 80"]),
    ("from 192.0.2.0/24 table 100 priority 28 uidrange 5", False,
     ["Invalid uidrange uidrange specified"]),
    ("from 192.0.2.0/24 table 100 priority 30 suppress_prefixlength x", False,
     ["invalid number 'x'", "Invalid suppress_prefixlength suppress_prefixlength specified"]),
    ("from 192.0.2.0/24 nop priority 31 suppress_prefixlength 5", False,
     ["suppressor/realm specified for non table action - skipping"]),
    ("from 192.0.2.0/24 l3mdev priority 35", True, []),
    ("from 192.0.2.0/24 table 100 l3mdev priority 36", False,
     ["Cannot specify l3mdev with other action"]),
])
def test_rule_words(entry: str, kept: bool, messages: list[str]) -> None:
    rules, said = _rules(entry)
    assert said == messages
    assert [r.words for r in rules] == ([tuple(entry.split())] if kept else [])


def test_rule_preferences_are_numbered_in_file_order_per_family() -> None:
    text = ("static_rules {\n from 192.0.2.0/24 table 100\n from 2001:db8::/64 table 100\n}\n"
            "vrrp_instance VI_1 {\n interface eth0\n virtual_rules {\n"
            "  from 192.0.2.0/24 table 100\n  to 2001:db8::/64 table 100\n }\n}\n")
    result = load_text(text, path="k.conf", host=HOST)
    said = [d.render(with_file=False) for d in result.diagnostics
            if d.kind is not Kind.OK and "preference" in d.message]
    assert said == [f"(Line {line}) Rule has no preference specified - setting to {n}. This is"
                    " probably not what you want." for line, n in
                    [(2, 16384), (3, 16384), (8, 16383), (9, 16383)]]


def test_static_track_group() -> None:
    text = ("track_group g2 {\n group {\n  VI_1\n }\n}\nstatic_routes {\n"
            " 198.51.100.0/24 dev eth0 track_group nosuch\n"
            " 198.51.100.0/26 dev eth0 track_group g2 track_group g2\n"
            " 198.51.100.64/26 via 192.0.2.1 track_group g2\n}\n")
    result = load_text(text, path="k.conf", host=HOST)
    assert result.config is not None
    assert [d.render(with_file=False) for d in result.diagnostics if d.kind is not Kind.OK] == [
        "(Line 7) track_group nosuch not found",
        "(Line 8) track_group g2 is a duplicate",
        "(Line 8) Route has trailing nonsense - g2",
        "(Line 9) Warning - cannot track route 198.51.100.64/26 with no interface specified,"
        " not tracking",
        "(Line 9) Static route cannot have track group if no oif specified"]
    assert [r.location.line for r in result.config.static_routes] == [7, 9]


def test_vip_device_looked_up_while_parsing() -> None:
    inst, said = _vrrp(" virtual_ipaddress {\n  192.0.2.10/24\n  192.0.2.11/24 dev nosuch1\n"
                       "  192.0.2.12/24 dev eth0 dev eth0\n }\n virtual_routes {\n"
                       "  198.51.100.0/24 dev eth0\n }\n")
    assert said == ["(Line 14) WARNING - interface nosuch1 for ip address 192.0.2.11/24"
                    " doesn't exist",
                    "(Line 15) Cannot specify ipaddress device more than once for 192.0.2.12/24"]
    # keepalived reads no further than the missing device (and its vrrp child stops);
    # ours runs regardless and keeps the address, quietly read to its end
    assert [(str(v.address), v.dev, v.scope) for v in inst.virtual_ipaddresses] == [
        ("192.0.2.10", None, None), ("192.0.2.11", "nosuch1", None)]
    inst, said = _vrrp(" virtual_ipaddress {\n  2001:db8::1/64 dev nosuch1 scope bogus\n"
                       "  192.0.2.10/24\n }\n")
    assert said == ["(Line 13) WARNING - interface nosuch1 for ip address 2001:db8::1/64"
                    " doesn't exist"]  # nor does it set the instance's family
    assert [str(v.address) for v in inst.virtual_ipaddresses] == ["2001:db8::1", "192.0.2.10"]


def test_dynamic_interfaces_take_any_device() -> None:
    result = load_text("global_defs {\n dynamic_interfaces\n}\nvrrp_instance VI_1 {\n"
                       " interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n"
                       "  192.0.2.10/24 dev later0\n }\n"
                       " virtual_routes {\n  198.51.100.0/24 dev later0\n }\n}\n",
                       path="k.conf", host=HOST)
    assert result.config is not None
    assert [d for d in result.diagnostics if d.kind is not Kind.OK] == []
    assert len(result.config.instances[0].virtual_routes) == 1


def test_a_peer_file_keeps_devices_this_host_lacks(tmp_path: Path) -> None:
    """Another host's file (peer advice) is read with neutral facts: devices this host
    lacks are not complained about."""
    peer = tmp_path / "peer.conf"
    peer.write_text("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n"
                    " virtual_ipaddress {\n  192.0.2.10/24 dev peer0\n }\n"
                    " virtual_routes {\n  198.51.100.0/24 dev peer0\n }\n}\n")
    result = load_config(str(peer), host=HostFacts(own_interfaces=False))
    assert result.config is not None
    inst = result.config.instances[0]
    assert ([v.dev for v in inst.virtual_ipaddresses], len(inst.virtual_routes)) == (
        ["peer0"], 1)
    own = load_config(str(peer), host=HostFacts())
    assert [d.message for d in own.diagnostics] == [
        "WARNING - interface eth0 for vrrp_instance VI_1 doesn't exist",
        "WARNING - interface peer0 for ip address 192.0.2.10/24 doesn't exist",
        "WARNING - interface peer0 for VROUTE nexthop doesn't exist",
        "Non-existent interface specified in configuration"]
    assert [d.message for d in result.diagnostics] == []


def test_interfaces_looked_up_while_parsing() -> None:
    text = ("vrrp_sync_group G1 {\n group {\n  VI_1\n  VI_2\n }\n track_interface {\n"
            "  nosuch7\n }\n}\nvrrp_instance VI_1 {\n interface lo\n virtual_router_id 51\n"
            " virtual_ipaddress {\n  192.0.2.10/24\n }\n}\nvrrp_instance VI_2 {\n"
            " interface nosuch5\n track_interface {\n  nosuch6\n }\n garp_master_repeat x\n"
            " virtual_router_id 52\n virtual_ipaddress {\n  192.0.2.11/24\n }\n}\n")
    result = load_text(text, path="k.conf", host=HOST)
    # keepalived's vrrp child stops at the missing device: no "Unknown interface!" for
    # VI_1, no sync group check after parsing
    assert [d.render(with_file=False) for d in result.diagnostics] == [
        "(Line 7) (G1) tracked interface nosuch7 doesn't exist",
        "(Line 11) (VI_1) cannot use a loopback interface (lo) for vrrp - ignoring",
        "(Line 18) WARNING - interface nosuch5 for vrrp_instance VI_2 doesn't exist",
        "(Line 20) (VI_2) tracked interface nosuch6 doesn't exist",
        "(Line 22) invalid number 'x'",
        "(Line 22) (VI_2): garp_master_repeat 'x' invalid - ignoring",
        "Non-existent interface specified in configuration"]
    assert result.diagnostics[-1].kind is Kind.BAD_IF


@pytest.mark.parametrize(("value", "messages"), [
    ("198.51.100.7", ["number '198.51.100.7' has too many decimal places"]),  # read as 198
    ("1.5ms", ["number '1.5' has too many decimal places"]),
    ("1.5s", []),
    ("x", ["invalid number 'x'", "Invalid rtt x for route"]),
])
def test_rtt_decimals_are_rounded_and_kept(value: str, messages: list[str]) -> None:
    routes, said = _routes(f"2001:db8::/64 dev eth0 rtt {value}")
    assert said == messages
    assert len(routes) == (0 if value == "x" else 1)


@pytest.mark.parametrize(("word", "valid"), [
    ("6", True), ("127", True), ("128", False), ("5x", False), ("-1", False),
    ("tcp", True), ("TCP", True), ("bogus", False),
])
def test_rule_ipproto_words(word: str, valid: bool) -> None:
    """inet_proto_a2n: a number up to 127 (INT8_MAX), else an /etc/protocols name or alias."""
    host = replace(HOST, protocols=frozenset({"tcp", "TCP", "udp"}))
    inst, said = _vrrp(f" virtual_rules {{\n  from 192.0.2.0/24 table 100 priority 5"
                       f" ipproto {word}\n }}\n", host)
    assert said == ([] if valid else [f"(Line 13) Invalid ipproto {word}"])
    assert len(inst.virtual_rules) == 1  # said, and the rule kept


def test_scope_ids_are_not_addresses() -> None:
    """inet_pton knows no `%eth0` (Python's ipaddress does)."""
    inst, said = _vrrp(" virtual_ipaddress {\n  192.0.2.10/24\n  fe80::1%eth0\n }\n"
                       " virtual_routes {\n  2001:db8::/64 via fe80::1%eth0 dev eth0\n }\n")
    assert said == ["(Line 14) VRRP parsed invalid IP fe80::1%eth0. skipping IP...",
                    "(Line 17) VRRP parsed invalid IP fe80::1%eth0. skipping IP...",
                    "(Line 17) invalid route via address fe80::1%eth0"]
    assert (len(inst.virtual_ipaddresses), inst.virtual_routes) == (1, ())
