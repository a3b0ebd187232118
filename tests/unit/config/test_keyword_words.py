"""global_defs and vrrp_instance keyword handlers pinned in the fast suite: each valid
value lands in its model field, each complaint is keepalived 2.2.7's own text and line.

Every expected message below was printed by `keepalived -t -f FILE` (2.2.7, Debian) for
the same snippet; tests/data/configs/words/*.conf hold the same cases and are run through
both in tests/integration/test_config_vs_keepalived.py (messages, lines, order, exit code).
Route and rule words: test_route_words.py."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.load import load_text
from tests.unit.config.checks import HOST, VRRP_HEAD, vrrp


def _global(body: str) -> tuple[Any, list[str]]:
    """global_defs with BODY on line 2: the model and the complaints as keepalived says them."""
    result = load_text(f"global_defs {{\n{body}\n}}\n", path="k.conf", host=HOST)
    assert result.config is not None
    messages = [d.render(with_file=False) for d in result.diagnostics if d.kind is not Kind.OK]
    return result.config.global_defs, messages


GLOBAL_CASES: list[tuple[str, str, object, list[str]]] = [
    # smtp_server: a port in [1, 65535], default 25
    (" smtp_server 192.0.2.1", "smtp_port", 25, []),
    (" smtp_server 192.0.2.1 1", "smtp_port", 1, []),
    (" smtp_server 192.0.2.1 65535", "smtp_port", 65535, []),
    (" smtp_server 2001:db8::5 2525", "smtp_port", 2525, []),
    (" smtp_server 2001:db8::5 2525", "smtp_server", "2001:db8::5", []),
    # smtp_connect_timeout: [0, UINT_MAX / TIMER_HZ], 0 becomes 1 (keepalived's typo kept)
    (" smtp_connect_timeout 7", "smtp_connect_timeout", 7, []),
    (" smtp_connect_timeout 4294", "smtp_connect_timeout", 4294, []),
    (" smtp_connect_timeout 0", "smtp_connect_timeout", 1,
     ["(Line 2) smtp_conect_timeout must be greater than 0, setting to 1"]),
    (" smtp_connect_timeout 1", "smtp_connect_timeout", 1, []),
    (" smtp_connect_timeout -1", "smtp_connect_timeout", 30,
     ["(Line 2) negative number '-1'",
      "(Line 2) smtp_connect_timeout '-1' must be in [0, 4294] - ignoring"]),
    (" smtp_connect_timeout 4295", "smtp_connect_timeout", 30,
     ["(Line 2) number '4295' outside range [0, 4294]",
      "(Line 2) smtp_connect_timeout '4295' must be in [0, 4294] - ignoring"]),
    (" smtp_connect_timeout x", "smtp_connect_timeout", 30,
     ["(Line 2) invalid number 'x'",
      "(Line 2) smtp_connect_timeout 'x' must be in [0, 4294] - ignoring"]),
    # smtp_alert: bare is on, a boolean word, anything else is refused
    (" smtp_alert", "smtp_alert", True, []),
    (" smtp_alert false", "smtp_alert", False, []),
    (" smtp_alert on", "smtp_alert", True, []),
    (" smtp_alert maybe", "smtp_alert", None,
     ["(Line 2) Invalid value 'maybe' for global smtp_alert specified"]),
    # vrrp_mcast_group4/6: parses, right family, multicast
    (" vrrp_mcast_group4 224.0.0.19", "vrrp_mcast_group4", "224.0.0.19", []),
    (" vrrp_mcast_group4 nope", "vrrp_mcast_group4", "224.0.0.18",
     ["(Line 2) Can't parse vrrp_mcast_group4 [nope]. Skipping"]),
    (" vrrp_mcast_group4 2001:db8::1", "vrrp_mcast_group4", "224.0.0.18",
     ["(Line 2) vrrp_mcast_group4 [2001:db8::1] is not IPv4. Skipping"]),
    (" vrrp_mcast_group4 192.0.2.1", "vrrp_mcast_group4", "224.0.0.18",
     ["(Line 2) vrrp_mcast_group4 [192.0.2.1] is not multicast. Skipping"]),
    (" vrrp_mcast_group6 ff02::13", "vrrp_mcast_group6", "ff02::13", []),
    (" vrrp_mcast_group6 224.0.0.18", "vrrp_mcast_group6", "ff02::12",
     ["(Line 2) vrrp_mcast_group6 [224.0.0.18] is not IPv6. Skipping"]),
    (" vrrp_mcast_group6 2001:db8::1", "vrrp_mcast_group6", "ff02::12",
     ["(Line 2) vrrp_mcast_group6 [2001:db8::1] is not multicast. Skipping"]),
    (" vrrp_mcast_group6 zz", "vrrp_mcast_group6", "ff02::12",
     ["(Line 2) Can't parse vrrp_mcast_group6 [zz]. Skipping"]),
    # vrrp_garp_master_repeat / _refresh_repeat: [0, UINT_MAX], 0 becomes 1
    (" vrrp_garp_master_repeat 3", "vrrp_garp_master_repeat", 3, []),
    (" vrrp_garp_master_repeat 2147483648", "vrrp_garp_master_repeat", 2147483648, []),
    (" vrrp_garp_master_repeat 4294967295", "vrrp_garp_master_repeat", 4294967295, []),
    (" vrrp_garp_master_repeat 4294967296", "vrrp_garp_master_repeat", 5,
     ["(Line 2) number '4294967296' outside unsigned integer range",
      "(Line 2) vrrp_garp_master_repeat '4294967296' invalid - ignoring"]),
    (" vrrp_garp_master_refresh_repeat 4294967295", "vrrp_garp_master_refresh_repeat",
     4294967295, []),
    (" vrrp_garp_master_refresh_repeat 4294967296", "vrrp_garp_master_refresh_repeat", 1,
     ["(Line 2) number '4294967296' outside unsigned integer range",
      "(Line 2) vrrp_garp_master_refresh_repeat '4294967296' invalid - ignoring"]),
    # a bad refresh period turns the refresh off
    (" vrrp_garp_master_refresh 7\n vrrp_garp_master_refresh x", "vrrp_garp_master_refresh",
     0, ["(Line 3) invalid number 'x'",
         "(Line 3) Invalid vrrp_garp_master_refresh 'x' - ignoring"]),
    (" vrrp_garp_master_repeat 0", "vrrp_garp_master_repeat", 1,
     ["(Line 2) vrrp_garp_master_repeat must be greater than 0, setting to 1"]),
    (" vrrp_garp_master_repeat -1", "vrrp_garp_master_repeat", 5,
     ["(Line 2) negative number '-1'",
      "(Line 2) vrrp_garp_master_repeat '-1' invalid - ignoring"]),
    (" vrrp_garp_master_refresh_repeat 4", "vrrp_garp_master_refresh_repeat", 4, []),
    (" vrrp_garp_master_refresh_repeat 0", "vrrp_garp_master_refresh_repeat", 1,
     ["(Line 2) vrrp_garp_master_refresh_repeat must be greater than 0, setting to 1"]),
    (" vrrp_garp_master_refresh_repeat x", "vrrp_garp_master_refresh_repeat", 1,
     ["(Line 2) invalid number 'x'",
      "(Line 2) vrrp_garp_master_refresh_repeat 'x' invalid - ignoring"]),
    # max_auto_priority: bare is 99, [-1, 99] kept, the message says [0, 99]
    (" max_auto_priority", "max_auto_priority", 99, []),
    (" max_auto_priority -1", "max_auto_priority", -1, []),
    (" max_auto_priority 0", "max_auto_priority", 0, []),
    (" max_auto_priority 99", "max_auto_priority", 99, []),
    (" max_auto_priority -2", "max_auto_priority", None,
     ["(Line 2) number '-2' outside range [-1, 99]",
      "(Line 2) max_auto_priority '-2' must be in [0, 99] (or -1 to disable) - ignoring"]),
    (" max_auto_priority 100", "max_auto_priority", None,
     ["(Line 2) number '100' outside range [-1, 99]",
      "(Line 2) max_auto_priority '100' must be in [0, 99] (or -1 to disable) - ignoring"]),
    (" max_auto_priority x", "max_auto_priority", None,
     ["(Line 2) invalid number 'x'",
      "(Line 2) max_auto_priority 'x' must be in [0, 99] (or -1 to disable) - ignoring"]),
]


@pytest.mark.parametrize(("line", "field", "value", "messages"), GLOBAL_CASES)
def test_global_keyword(line: str, field: str, value: object, messages: list[str]) -> None:
    g, said = _global(line)
    assert said == messages
    got = getattr(g, field)
    assert (str(got) if isinstance(value, str) else got) == value


@pytest.mark.parametrize(("port", "why"), [
    ("0", "number '0' outside range [1, 65535]"),
    ("65536", "number '65536' outside range [1, 65535]"),
    ("x", "invalid number 'x'"),
    ("-1", "negative number '-1'"),
])
def test_smtp_server_bad_port(port: str, why: str) -> None:
    # keepalived reads the port twice (as an IP literal's, then as a host name's)
    g, said = _global(f" smtp_server 192.0.2.1 {port}")
    assert said == [f"(Line 2) {why}", f"(Line 2) {why}",
                    f"(Line 2) Invalid smtp server 192.0.2.1 {port}"]
    assert (g.smtp_server, g.smtp_port) == (None, 25)


def test_smtp_server_bad_port_of_a_dashed_name() -> None:
    # a word with '-' or '/' is never an IP literal: one read of the port
    g, said = _global(" smtp_server 192.0.2.1 2525\n smtp_server mail-x.example 0")
    assert said == ["(Line 3) number '0' outside range [1, 65535]",
                    "(Line 3) Invalid smtp server mail-x.example 0"]
    assert (g.smtp_server, g.smtp_port) == (None, 25)  # the earlier server is gone too


def test_smtp_server_name_resolved_while_parsing() -> None:
    # in line order, between the other complaints; a name that resolves is kept
    host = replace(HOST, resolvable=frozenset({"mail.example"}))
    result = load_text("global_defs {\n smtp_server zz\n smtp_connect_timeout 0\n"
                       " smtp_server mail.example 2525\n}\n", path="k.conf", host=host)
    assert [d.render(with_file=False) for d in result.diagnostics if d.kind is not Kind.OK] == [
        "(Line 2) Invalid smtp server zz 25",
        "(Line 3) smtp_conect_timeout must be greater than 0, setting to 1"]
    assert result.config is not None
    assert (result.config.global_defs.smtp_server, result.config.global_defs.smtp_port) == (
        "mail.example", 2525)


_vrrp = vrrp


def test_state_words() -> None:
    inst, said = _vrrp(" state MASTER\n state BACKUP\n state FOO\n")
    assert said == ["(Line 13) (VI_1) state previously set as MASTER - ignoring BACKUP",
                    "(Line 14) (VI_1) unknown state 'FOO', defaulting to BACKUP"]
    assert inst.state == "BACKUP"
    inst, said = _vrrp(" state MASTER\n")
    assert (inst.state, said) == ("MASTER", [])
    inst, said = _vrrp(" state BACKUP\n state MASTER\n")
    assert (inst.state, said) == ("MASTER", [])
    inst, said = _vrrp(" state master\n")
    assert (inst.state, said) == (
        "BACKUP", ["(Line 12) (VI_1) unknown state 'master', defaulting to BACKUP"])


@pytest.mark.parametrize(("line", "value", "messages"), [
    (" garp_master_delay 0", 0, []),
    (" garp_master_delay 4294", 4294, []),
    (" garp_master_delay 4295", None,
     ["(Line 12) number '4295' outside range [0, 4294]",
      "(Line 12) (VI_1): garp_master_delay '4295' invalid - ignoring"]),
    (" garp_master_delay -1", None,
     ["(Line 12) negative number '-1'",
      "(Line 12) (VI_1): garp_master_delay '-1' invalid - ignoring"]),
])
def test_garp_master_delay(line: str, value: int | None, messages: list[str]) -> None:
    inst, said = _vrrp(line + "\n")
    assert (inst.garp_master_delay, said) == (value, messages)


@pytest.mark.parametrize(("line", "field", "value", "messages"), [
    (" garp_master_repeat 4294967295", "garp_master_repeat", 4294967295, []),
    (" garp_master_repeat 4294967296", "garp_master_repeat", None,
     ["(Line 12) number '4294967296' outside unsigned integer range",
      "(Line 12) (VI_1): garp_master_repeat '4294967296' invalid - ignoring"]),
    (" garp_master_repeat 0", "garp_master_repeat", 1,
     ["(Line 12) (VI_1): garp_master_repeat must be greater than 0, setting to 1"]),
    (" garp_master_repeat -1", "garp_master_repeat", None,
     ["(Line 12) negative number '-1'",
      "(Line 12) (VI_1): garp_master_repeat '-1' invalid - ignoring"]),
    (" garp_master_refresh_repeat 4294967295", "garp_master_refresh_repeat", 4294967295, []),
    (" garp_master_refresh_repeat 4294967296", "garp_master_refresh_repeat", None,
     ["(Line 12) number '4294967296' outside unsigned integer range",
      "(Line 12) (VI_1): garp_master_refresh_repeat '4294967296' invalid - ignoring"]),
    (" garp_master_refresh_repeat 0", "garp_master_refresh_repeat", 1,
     ["(Line 12) (VI_1): garp_master_refresh_repeat must be greater than 0, setting to 1"]),
    (" garp_master_refresh_repeat x", "garp_master_refresh_repeat", None,
     ["(Line 12) invalid number 'x'",
      "(Line 12) (VI_1): garp_master_refresh_repeat 'x' invalid - ignoring"]),
    (" garp_master_refresh x", "garp_master_refresh", 0,
     ["(Line 12) invalid number 'x'",
      "(Line 12) (VI_1): Invalid garp_master_refresh 'x' - ignoring"]),
    (" garp_lower_prio_repeat 2147483648", "garp_lower_prio_repeat", None,
     ["(Line 12) number '2147483648' outside range [0, 2147483647]",
      "(Line 12) (VI_1): Invalid garp_lower_prio_repeat '2147483648'"]),
    (" down_timer_adverts 0", "down_timer_adverts", 3,  # the default stays
     ["(Line 12) number '0' outside range [1, 100]",
      "(Line 12) (VI_1): Invalid down_timer_adverts [1:100] '0'"]),
])
def test_instance_garp_words(line: str, field: str, value: int | None,
                             messages: list[str]) -> None:
    inst, said = _vrrp(line + "\n")
    assert (getattr(inst, field), said) == (value, messages)


def test_garp_lower_prio_delay() -> None:
    inst, said = _vrrp(" garp_lower_prio_delay x\n")
    assert (inst.garp_lower_prio_delay, said) == (None, [
        "(Line 12) invalid number 'x'",
        "(Line 12) (VI_1): garp_lower_prio_delay 'x' invalid - ignoring"])
    inst, said = _vrrp(" garp_lower_prio_delay 3\n")
    assert (inst.garp_lower_prio_delay, said) == (3, [])


def test_src_ip_values() -> None:
    inst, said = _vrrp(" unicast_src_ip 192.0.2.9\n")
    assert (str(inst.unicast_src_ip), inst.mcast_src_ip, said) == ("192.0.2.9", None, [])
    # one source address in keepalived: the later keyword replaces the earlier one
    inst, said = _vrrp(" unicast_src_ip 192.0.2.9\n mcast_src_ip 192.0.2.8\n")
    assert (inst.unicast_src_ip, str(inst.mcast_src_ip), said) == (None, "192.0.2.8", [])
    # a range or a mask after the address is dropped, as inet_stosockaddr does
    inst, said = _vrrp(" unicast_src_ip 2001:db8::9/64\n mcast_src_ip 2001:db8::7-9\n"
                       " virtual_ipaddress {\n  2001:db8::1/64\n }\n")
    assert (inst.unicast_src_ip, str(inst.mcast_src_ip), said) == (None, "2001:db8::7", [])


def test_src_ip_malformed() -> None:
    inst, said = _vrrp(" unicast_src_ip 192.0.2.9\n unicast_src_ip 192.0.2.zz\n"
                       " mcast_src_ip nope\n mcast_src_ip fe80::1%eth0\n")
    assert said == [
        "(Line 13) Configuration error: VRRP instance[VI_1] malformed src"
        " address[192.0.2.zz]. Skipping...",
        "(Line 14) Configuration error: VRRP instance[VI_1] malformed src"
        " address[nope]. Skipping...",
        "(Line 15) Configuration error: VRRP instance[VI_1] malformed src"
        " address[fe80::1%eth0]. Skipping..."]
    assert (inst.unicast_src_ip, inst.mcast_src_ip) == (None, None)  # the earlier one too


def test_src_ip_of_the_other_family() -> None:
    inst, said = _vrrp(" virtual_ipaddress {\n  192.0.2.1/24\n }\n"
                       " mcast_src_ip 2001:db8::9\n unicast_src_ip 192.0.2.9\n")
    assert said == ["(Line 15) Configuration error: VRRP instance[VI_1] and src"
                    " address[2001:db8::9] MUST be of the same family !!! Skipping..."]
    assert (str(inst.unicast_src_ip), inst.mcast_src_ip, inst.family) == (
        "192.0.2.9", None, 4)


def test_src_ip_sets_the_family_for_what_follows() -> None:
    inst, said = _vrrp(" unicast_src_ip 2001:db8::9\n unicast_peer {\n  192.0.2.2\n"
                       "  2001:db8::2\n }\n virtual_ipaddress {\n  192.0.2.10/24\n"
                       "  2001:db8::10/64\n }\n")
    assert said == [
        "(Line 14) Configuration error: VRRP instance[VI_1] and unicast peer"
        " address[192.0.2.2] MUST be of the same family !!! Skipping...",
        "(Line 18) (VI_1): address family must match VRRP instance [192.0.2.10/24]"
        " - ignoring"]
    assert [str(p.address) for p in inst.unicast_peers] == ["2001:db8::2"]
    assert [str(v.address) for v in inst.virtual_ipaddresses] == ["2001:db8::10"]
    assert inst.family == 6


@pytest.mark.parametrize(("line", "messages"), [
    ("mcast_dst_ip 224.0.0.1", []),
    ("mcast_dst_ip zz", ["(Line 12) (VI_1) malformed mcast dest address zz. Skipping..."]),
    ("mcast_dst_ip ff02::1", ["(Line 12) (VI_1) mcast dest address ff02::1 MUST match VRRP"
                             " instance family. Skipping..."]),
    ("mcast_dst_ip 192.0.2.1", ["(Line 12) (VI_1) mcast_dst_ip 192.0.2.1 not multicast."
                                " Skipping..."]),
    ("native_ipv6", ["(Line 12) (VI_1) Cannot specify native_ipv6 with IPv4 addresses"]),
])
def test_family_words_after_an_ipv4_source(line: str, messages: list[str]) -> None:
    inst, said = _vrrp(f" mcast_src_ip 192.0.2.9\n {line}\n".replace("Line 12", "Line 13"))
    assert said == [m.replace("Line 12", "Line 13") for m in messages]
    assert (inst.family, inst.native_ipv6) == (4, False)


def test_native_ipv6_sets_the_family() -> None:
    inst, said = _vrrp(" native_ipv6\n mcast_dst_ip 224.0.0.1\n mcast_dst_ip ff05::1\n"
                       " mcast_dst_ip ff02::1\n virtual_ipaddress {\n  fe80::1/64\n }\n")
    assert said == [
        "(Line 13) (VI_1) mcast dest address 224.0.0.1 MUST match VRRP instance family."
        " Skipping...",
        "(Line 14) (VI_1) mcast_dst_ip ff05::1 not link-local multicast. Skipping..."]
    assert (inst.family, inst.version, inst.native_ipv6) == (6, 3, True)


def _script_refs(entries: str) -> tuple[Any, list[str]]:
    return _vrrp(f" track_script {{\n{entries} }}\n")


@pytest.mark.parametrize(("entry", "refs", "messages"), [
    ("  chk\n", [("chk", None, None)], []),
    ("  chk weight 253 reverse\n", [("chk", 253, True)], []),
    ("  chk weight -253\n", [("chk", -253, None)], []),  # the script's own direction
    ("  chk weight 0\n", [("chk", 0, None)], []),
    ("  chk weight 5 noreverse\n", [("chk", 5, False)], []),
    ("  chk weight\n", [],
     ["(Line 13) (VI_1) weight without value specified for track script chk - ignoring"]),
    ("  chk foo\n", [], ["(Line 13) (VI_1) unknown track script option foo - ignoring"]),
    ("  missing\n", [], ["(Line 13) (VI_1) track script missing not found, ignoring..."]),
    ("  chk\n  chk weight 5\n", [("chk", None, None)],
     ["(Line 14) (VI_1) duplicate track_script chk - ignoring"]),
    ("  chk weight 254\n", [("chk", 253, None)],
     ["(Line 13) (VI_1) weight for chk cannot be +/-254. Setting to +/-253"]),
    ("  chk weight -254\n", [("chk", -253, None)],
     ["(Line 13) (VI_1) weight for chk cannot be +/-254. Setting to +/-253"]),
    ("  chk weight 10 bogus\n", [("chk", 10, None)],
     ["(Line 13) (VI_1) unknown track_script chk weight option bogus - ignoring"]),
    ("  chk weight -253 no_reverse\n", [("chk", -253, None)],
     ["(Line 13) (VI_1) unknown track_script chk weight option no_reverse - ignoring"]),
])
def test_track_script_entries(entry: str, refs: list[tuple[str, int | None, bool | None]],
                              messages: list[str]) -> None:
    inst, said = _script_refs(entry)
    assert said == messages
    assert [(r.name, r.weight, r.reverse) for r in inst.track_scripts] == refs


@pytest.mark.parametrize(("weight", "first"), [
    ("255", "(Line 13) number '255' outside range [-254, 254]"),
    ("-255", "(Line 13) number '-255' outside range [-254, 254]"),
    ("x", "(Line 13) invalid number 'x'"),
])
def test_track_script_weight_unreadable(weight: str, first: str) -> None:
    """keepalived keeps the entry at the script's own weight."""
    inst, said = _script_refs(f"  chk weight {weight}\n")
    assert said == [first, "(Line 13) (VI_1) track script chk: weight must be between"
                           " [-253..253] inclusive, ignoring..."]
    assert [(r.name, r.weight, r.reverse) for r in inst.track_scripts] == [("chk", None, None)]


def test_unicast_peers() -> None:
    # a bad ttl number is skipped with the reader's complaint, and the peer is kept
    inst, said = _vrrp(" unicast_peer {\n  192.0.2.2 min_ttl 10 max_ttl 5\n"
                       "  zz\n  192.0.2.5 max_ttl 256\n  192.0.2.4 min_ttl -1\n"
                       "  192.0.2.6 min_ttl 0 max_ttl 255\n  192.0.2.7\n"
                       "  192.0.2.8 max_ttl 7\n  192.0.2.9/24 max_ttl x min_ttl 3\n }\n")
    assert said == [
        "(Line 13) (VI_1) min_ttl 10 > max_ttl 5 - all packets will be discarded",
        "(Line 14) Configuration error: VRRP instance[VI_1] malformed unicast peer"
        " address[zz]. Skipping...",
        "(Line 15) number '256' outside range [0, 255]",
        "(Line 16) negative number '-1'",
        "(Line 20) invalid number 'x'"]
    assert [(str(p.address), p.min_ttl, p.max_ttl, p.location.line)
            for p in inst.unicast_peers] == [
        ("192.0.2.2", 10, 5, 13), ("192.0.2.5", None, None, 15), ("192.0.2.4", None, None, 16),
        ("192.0.2.6", 0, 255, 17), ("192.0.2.7", None, None, 18), ("192.0.2.8", None, 7, 19),
        ("192.0.2.9", 3, None, 20)]


@pytest.mark.parametrize(("entry", "ttls", "message"), [
    ("192.0.2.3 foo 5", (None, None), "(VI_1) unknown unicast_peer option foo"),
    ("192.0.2.3 min_ttl 2 foo 5 max_ttl 9", (2, None), "(VI_1) unknown unicast_peer option foo"),
    ("192.0.2.3 min_ttl", (None, None), "(VI_1) min_ttl is missing a value"),
    ("192.0.2.3 min_ttl 9 max_ttl", (9, None), "(VI_1) max_ttl is missing a value"),
    ("192.0.2.3 foo x", (None, None), "invalid number 'x'"),  # the number is read first
    ("2001:db8::3", None, "Configuration error: VRRP instance[VI_1] and unicast peer"
                          " address[2001:db8::3] MUST be of the same family !!! Skipping..."),
])
def test_unicast_peer_options(entry: str, ttls: tuple[int | None, int | None] | None,
                              message: str) -> None:
    inst, said = _vrrp(f" unicast_peer {{\n  192.0.2.2\n  {entry}\n }}\n")
    assert said == [f"(Line 14) {message}"]
    assert [(p.min_ttl, p.max_ttl) for p in inst.unicast_peers[1:]] == (
        [ttls] if ttls else [])


def test_unicast_peer_equal_ttls_are_fine() -> None:
    inst, said = _vrrp(" unicast_peer {\n  192.0.2.4 min_ttl 5 max_ttl 5\n }\n")
    assert said == []
    assert [(p.min_ttl, p.max_ttl) for p in inst.unicast_peers] == [(5, 5)]


def test_vips_family_follows_the_first() -> None:
    inst, said = _vrrp(" virtual_ipaddress {\n  2001:db8::1/64\n  192.0.2.1/24\n"
                       "  2001:db8::2/64\n }\n")
    assert said == ["(Line 14) (VI_1): address family must match VRRP instance"
                    " [192.0.2.1/24] - ignoring"]
    assert [str(v.address) for v in inst.virtual_ipaddresses] == ["2001:db8::1", "2001:db8::2"]


def test_excluded_vips_may_mix_families() -> None:
    inst, said = _vrrp(" virtual_ipaddress_excluded {\n  192.0.2.1/24\n  2001:db8::1/64\n }\n")
    assert said == []
    assert [str(v.address) for v in inst.virtual_ipaddresses_excluded] == [
        "192.0.2.1", "2001:db8::1"]


def test_vip_unparsable_is_skipped() -> None:
    inst, said = _vrrp(" virtual_ipaddress {\n  192.0.2.300/24\n  192.0.2.1/24 dev eth0\n }\n")
    assert said == ["(Line 13) VRRP parsed invalid IP 192.0.2.300/24. skipping IP..."]
    assert [(str(v.address), v.location.line) for v in inst.virtual_ipaddresses] == [
        ("192.0.2.1", 14)]


def test_track_interface_entries() -> None:
    inst, said = _vrrp(" track_interface {\n  eth1 weight -253\n  lo weight 10 reverse\n"
                       "  lo\n }\n", replace(HOST, interfaces=HOST.interfaces | {"eth1"}))
    assert said == ["(Line 15) (VI_1) duplicate track_interface lo - ignoring"]
    assert [(t.name, t.weight, t.reverse, t.location.line) for t in inst.track_interfaces] == [
        ("eth1", -253, None, 13), ("lo", 10, True, 14)]


@pytest.mark.parametrize(("entry", "ref", "messages"), [
    ("eth1 weight 254", ("eth1", 253, None),
     ["(Line 13) (VI_1) weight for eth1 cannot be +/-254. Setting to +/-253"]),
    ("eth1 weight 300", ("eth1", 0, None),  # an interface's fallback is weight 0
     ["(Line 13) number '300' outside range [-254, 254]",
      "(Line 13) (VI_1) weight 300 for eth1 must be between [-253..253] inclusive."
      " Ignoring..."]),
    ("eth1 weight -253 no_reverse", ("eth1", -253, None),
     ["(Line 13) (VI_1) unknown track_interace eth1 weight option no_reverse - ignoring"]),
    ("eth1 weight 5 noreverse", ("eth1", 5, None),  # not a word for interfaces
     ["(Line 13) (VI_1) unknown track_interace eth1 weight option noreverse - ignoring"]),
    ("eth1 bogus", None, ["(Line 13) (VI_1) unknown track_interface eth1 option bogus"
                          " - ignoring"]),
])
def test_track_interface_weights_as_keepalived(entry: str, ref: tuple[object, ...] | None,
                                               messages: list[str]) -> None:
    inst, said = _vrrp(f" track_interface {{\n  {entry}\n }}\n",
                       replace(HOST, interfaces=HOST.interfaces | {"eth1"}))
    assert said == messages
    assert [(t.name, t.weight, t.reverse) for t in inst.track_interfaces] == (
        [ref] if ref else [])


@pytest.mark.parametrize(("keyword", "what"), [("track_file", "track file"),
                                               ("track_process", "track process")])
def test_tracked_object_not_found(keyword: str, what: str) -> None:
    inst, said = _vrrp(f" {keyword} {{\n  nothing\n }}\n")
    assert said == [f"(Line 13) (VI_1) {what} nothing not found, ignoring..."]
    assert (inst.track_files, inst.track_processes) == ((), ())


def test_routes_and_rules_keep_their_lines() -> None:
    inst, said = _vrrp(" virtual_routes {\n  192.0.2.0/24 via 192.0.2.1\n"
                       "  2001:db8::/64 dev eth0\n  bogus dev eth0\n }\n virtual_rules {\n"
                       "  from 192.0.2.0/24 table 100\n  from 192.0.2.0/24 table 100 bogus\n"
                       " }\n")
    assert said == [
        "(Line 13) Warning - cannot track route 192.0.2.0/24 with no interface specified,"
        " not tracking",
        "(Line 15) VRRP parsed invalid IP bogus. skipping IP...",
        "(Line 15) unknown route keyword bogus",
        "(Line 18) Rule has no preference specified - setting to 16384. This is probably not"
        " what you want.",
        "(Line 19) Unknown rule option bogus"]
    assert [(r.words, r.location.line, r.family, r.devices, r.no_track)
            for r in inst.virtual_routes] == [
        (("192.0.2.0/24", "via", "192.0.2.1"), 13, 4, (), True),
        (("2001:db8::/64", "dev", "eth0"), 14, 6, ("eth0",), False)]
    assert [(r.words, r.location.line) for r in inst.virtual_rules] == [
        (("from", "192.0.2.0/24", "table", "100"), 18)]


def test_lease_witness_endpoints() -> None:
    # pykeepalived's own keyword: keepalived 2.2.7 has no words for it
    inst, said = _vrrp(" lease_witness\n lease_witness http://a:1 https://b:2 http://:3"
                       " http://c:0 http://d:65536 http://e:x http://f:65535/\n")
    bad = ["https://b:2", "http://:3", "http://c:0", "http://d:65536", "http://e:x"]
    assert said == ["(Line 12) (VI_1) lease_witness needs at least one http://host:port"] + [
        f"(Line 13) (VI_1) lease_witness {word} is not http://host:port - ignoring"
        for word in bad]
    assert inst.lease_witness == ("http://a:1", "http://f:65535")


UNICAST_WITHOUT_PEERS = ("(VI_1) A unicast keyword has been specified without any unicast"
                         " peers. Defaulting to multicast. This usage is deprecated - please"
                         " update your configuration.")


@pytest.mark.parametrize(("body", "warned"), [
    (" unicast_src_ip 192.0.2.9\n", True),
    (" mcast_src_ip 192.0.2.9\n", False),
    (" unicast_peer {\n }\n", True),
    (" unicast_src_ip 192.0.2.9\n unicast_peer {\n  192.0.2.2\n }\n", False),
])
def test_unicast_keyword_without_peers(body: str, warned: bool) -> None:
    # keepalived 2.2.7 prints this warning (without a line) for the same snippets
    result = load_text(VRRP_HEAD + body + "}\n", path="k.conf", host=HOST)
    assert (UNICAST_WITHOUT_PEERS in [d.message for d in result.diagnostics]) is warned


def test_smtp_server_needs_its_address() -> None:
    # keepalived 2.2.7 stops there too (`-t` exits 2)
    result = load_text("global_defs {\n router_id r1\n smtp_server\n}\n", path="k.conf",
                       host=HOST)
    assert [d.render(with_file=False) for d in result.diagnostics] == [
        "(Line 3) *** Configuration line starting `smtp_server` is missing a parameter"
        " after keyword `smtp_server` at word position 2"]
    assert (result.aborted, result.config) == (True, None)


def test_instance_smtp_alert_words() -> None:
    inst, said = _vrrp(" smtp_alert maybe\n")
    assert (inst.smtp_alert, said) == (
        None, ["(Line 12) Invalid vrrp_instance smtp_alert parameter maybe"])
    inst, said = _vrrp(" smtp_alert off\n smtp_alert YES\n")  # case matters
    assert (inst.smtp_alert, said) == (
        False, ["(Line 13) Invalid vrrp_instance smtp_alert parameter YES"])
    inst, said = _vrrp(" smtp_alert false\n smtp_alert\n")
    assert (inst.smtp_alert, said) == (True, [])


def test_sync_group_smtp_alert_words() -> None:
    result = load_text(VRRP_HEAD + " virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n"
                       "vrrp_sync_group G1 {\n group {\n  VI_1\n }\n smtp_alert maybe\n"
                       " smtp_alert no\n}\n", path="k.conf", host=HOST)
    assert result.config is not None
    assert [d.render(with_file=False) for d in result.diagnostics
            if d.location is not None and d.location.line == 20] == [
        "(Line 20) Invalid vrrp_group smtp_alert parameter maybe"]
    assert result.config.sync_groups[0].smtp_alert is False


def test_instance_booleans() -> None:
    inst, said = _vrrp(" skip_check_adv_addr\n lower_prio_no_advert 2\n"
                       " higher_prio_send_advert off\n lower_prio_no_advert yes\n")
    assert said == ["(Line 13) (VI_1) invalid lower_prio_no_advert 2 specified"]
    assert (inst.skip_check_adv_addr, inst.lower_prio_no_advert,
            inst.higher_prio_send_advert) == (True, True, False)


def test_excluded_vips_do_not_fix_the_family() -> None:
    # keepalived 2.2.7 takes this silently (`-t` exits 0)
    inst, said = _vrrp(" virtual_ipaddress_excluded {\n  2001:db8::1/64\n }\n"
                       " virtual_ipaddress {\n  192.0.2.1/24\n }\n")
    assert said == []
    assert [str(v.address) for v in inst.virtual_ipaddresses] == ["192.0.2.1"]
