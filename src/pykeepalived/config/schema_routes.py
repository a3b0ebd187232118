"""virtual_routes / static_routes lines, checked word by word as keepalived 2.2.7's
alloc_route (vrrp_iproute.c) reads them while parsing: each complaint in keepalived's words
on the line's own line, and the line dropped where keepalived drops it. Rules are
schema_rules.py; what both share (the word reader, names, realms) schema_rule_route.py.

The line itself is kept as words (`RouteLine`); specs/addresses.py builds what netlink is
asked to hold from them. A device this host lacks is complained about where keepalived
does, but the line is kept (keepalived's vrrp child stops there with BAD_IF; ours runs).
Where keepalived 2.2.7 steps over the word after `inet` / `inet6` (its index moves
twice), ours reads that word. Not checked here: encap's sub-options (an unknown encap
type is).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykeepalived.config import values
from pykeepalived.config.schema_rule_route import (
    RTPROT_KEEPALIVED,
    Dropped,
    Line,
    Stop,
    Unseen,
    read_line,
    realms,
    rtn_type,
    track_group,
)
from pykeepalived.constants import UINT_MAX

if TYPE_CHECKING:
    from pykeepalived.config.model import RouteLine
    from pykeepalived.config.schema import Ctx, NodeLike

__all__ = ["check_route"]


_RTT_MAX_MS = 120000


def _rtt(line: Line, word: str, unit: int) -> bool:
    """get_time_rtt accepts it (a value in ms, or with s/ms/sec/secs units)."""
    text = word.lstrip(" \t")
    cut = next((k for k, c in enumerate(text) if c in "sS"), None)
    shift = 0
    if cut is not None:
        if text[cut:].lower() not in ("s", "sec", "secs"):
            return False
        if cut > 0 and text[cut - 1].lower() == "m":
            cut -= 1
        else:
            shift = 3
        if cut == 0:
            return False
        text = text[:cut]
    if "e" in text.lower():
        return False
    read = values.read_decimal(text, 0, _RTT_MAX_MS * unit, line.ctx.reporter(line.node.location),
                               shift=shift)
    return read is not None


def check_route(ctx: Ctx, node: NodeLike, *, static: bool) -> RouteLine | None:
    """One route line as alloc_route reads it: None when keepalived drops it."""
    return read_line(ctx, node, _route_words, static=static)


@dataclass
class _Route:
    dest: str | None = None
    oif: bool = False
    protocol: int | None = None
    no_track: bool = False
    track_group: bool = False
    hops: int = 0  # "or" next hops


def _route_words(line: Line, static: bool) -> bool:
    r = _Route()
    mix = "Cannot mix IPv4 and IPv6 addresses for route"
    words = line.words
    nexthops = False
    try:
        while line.i < len(words):
            word = words[line.i]
            if word in ("inet", "inet6"):
                line.family_word(word, "route")
            elif word == "src":
                text = line.next()
                address = line.address(text, prefix=False)
                if address is None:
                    raise line.drop(f"invalid route src address {text}")
                line.claim(address.version, mix)
            elif word == "as":
                if line.next() == "to":
                    line.i += 1
                line.say('"as to" for MPLS only - ignoring')
            elif word in ("via", "gw"):
                if word == "gw":
                    line.say('"gw" for routes is deprecated. Please use "via"')
                text = line.next()
                given = line.family
                if text in ("inet", "inet6"):
                    given = 6 if text == "inet6" else 4
                    text = line.next()
                line.claim(given, mix)
                address = line.address(text, prefix=False)
                if address is None:
                    raise line.drop(f"invalid route via address {text}")
                line.claim(address.version, mix)
            elif word == "from":
                text = line.next()
                parsed, family = line.route(text)
                if not parsed:
                    raise line.drop(f"invalid route from address {text}")
                if family != 6:
                    raise line.drop(f"route from address only supported with IPv6 ({text})")
                line.claim(family, mix)
            elif word in ("tos", "dsfield"):
                text = line.next()
                if line.rt_name("rt_dsfield", text, 255) is None:
                    raise line.drop(f"TOS value {text} is invalid")
            elif word == "table":
                text = line.next()
                if line.rt_name("rt_tables", text, UINT_MAX) is None:
                    raise line.drop(f"Routing table {text} not found for route")
            elif word == "protocol":
                text = line.next()
                r.protocol = line.rt_name("rt_protos", text, 255)
                if r.protocol is None:
                    raise line.drop(f"Protocol {text} not found or invalid for route")
            elif word == "scope":
                text = line.next()
                if line.rt_name("rt_scopes", text, 255) is None:
                    raise line.drop(f"Scope {text} not found or invalid for route")
            elif word in ("metric", "priority", "preference"):
                line.unsigned(line.next(), UINT_MAX, "Invalid metric {} specified for route")
            elif word in ("dev", "oif"):
                line.device(line.next(), "WARNING - interface {} for VROUTE nexthop doesn't exist")
                r.oif = True
            elif word == "encap":
                _encap(line)
            elif word == "expires":
                line.i += 1
                if line.family == 4:
                    raise line.drop("expires is only valid for IPv6")
                line.family = 6
                line.unsigned(line.slot(line.i), UINT_MAX,
                              "Invalid expires time {} specified for route")
            elif word in _LOCKABLE:
                line.unsigned(line.lock(), UINT_MAX, _LOCKABLE[word])
            elif word in ("window", "initcwnd", "initrwnd"):
                line.unsigned(line.next(), UINT_MAX,
                              f"Invalid {word} value {{}} specified for route")
            elif word == "hoplimit":
                line.unsigned(line.next(), 255, "Invalid hoplimit {} specified for route")
            elif word in _RTT:
                text = line.lock()
                unit, invalid = _RTT[word]
                if not _rtt(line, text, unit):
                    raise line.drop(invalid.format(text))
            elif word == "realms":
                text = line.next()
                if not realms(line, text):
                    raise line.drop(f"Invalid realms {text} for route")
                if line.family == 6:
                    raise line.drop("realms are only valid for IPv4")
                line.family = 4
            elif word == "features":
                text = line.next()
                if text != "ecn":
                    line.say(f"feature {text} not supported")
            elif word in ("quickack", "fastopen_no_cookie"):
                line.unsigned(line.next(), 1, f"Invalid {word} value {{}} specified for route")
            elif word == "congctl":
                line.lock()
            elif word == "pref":
                line.i += 1
                if line.family == 4:
                    raise line.drop("pref is only valid for IPv6")
                line.family = 6
                text = line.slot(line.i)
                if text not in ("low", "medium", "high"):
                    line.unsigned(text, 255, "Invalid pref value {} specified for route")
            elif word == "ttl-propagate":
                text = line.next()
                if text not in ("enabled", "disabled"):
                    line.say(f"ttl-propagate value {text} not recognised")
            elif word in ("add", "prepend", "append", "onlink"):
                pass
            elif word == "or":
                line.say('"or" for routes is deprecated. Please use "nexthop"')
                if r.hops:
                    line.say('"or" route already specified - ignoring subsequent')
                    line.i += 2
                    continue
                text = line.next()
                if line.address(text, prefix=False) is None:
                    raise line.drop(f'Invalid "or" address {text}')
                r.hops = 2
            elif word == "nexthop":
                if r.hops:
                    line.say('Cannot specify nexthops with "or" route')
                else:
                    nexthops = True
                break
            elif word == "no_track":
                r.no_track = True
            elif static and word == "track_group":
                r.track_group = track_group(line, r.track_group)
            elif word == "vrf":
                _vrf(line, line.next())
            else:
                _destination(line, r, word)
            line.i += 1
    except Stop:
        pass
    if nexthops:
        _nexthops(line)
    elif line.i < len(words):
        raise line.drop(f"Route has trailing nonsense - {words[line.i]}")
    if r.dest is None:
        raise line.drop("Route must have a destination")
    if not r.no_track:
        if r.protocol is not None and r.protocol != RTPROT_KEEPALIVED:
            line.say("Route cannot be tracked if protocol is not"
                     f" RTPROT_KEEPALIVED({RTPROT_KEEPALIVED}), resetting protocol")
        if not r.oif:
            line.say(f"Warning - cannot track route {r.dest} with no interface specified,"
                     " not tracking")
            r.no_track = True
    if r.track_group and not r.oif:
        line.say("Static route cannot have track group if no oif specified")
    return r.no_track


_LOCKABLE = {
    "mtu": "Invalid MTU {} specified for route",
    "advmss": "Invalid advmss {} specified for route",
    "reordering": "Invalid reordering value {} specified for route",
    "cwnd": "Invalid cwnd value {} specified for route",
    "ssthresh": "Invalid ssthresh value {} specified for route",
}


_RTT = {
    "rtt": (8, "Invalid rtt {} for route"),
    "rttvar": (4, "Invalid rttvar {} for route"),
    "rto_min": (1, "Invalid rto_min value {} specified for route"),
}


def _vrf(line: Line, name: str) -> None:
    """`vrf NAME`: an existing VRF device (looked up without dynamic_interfaces)."""
    known = line.ctx.interfaces
    if known is None:  # another host's file: not judged
        return
    if name not in known:
        raise line.drop(f"VRF {name} not found for route")
    if name not in line.ctx.vrfs:
        raise line.drop(f"Route specified VRF {name} is not a VRF")


def _destination(line: Line, r: _Route, word: str) -> None:
    """The catch-all branch: `[to] [TYPE] PREFIX`; a word that is none of these is
    "unknown route keyword"."""
    if word == "to":
        line.i += 1
    if rtn_type(word) is not None:
        line.i += 1
    dest = line.slot(line.i)
    parsed, family = line.route(dest)
    if not parsed:
        raise line.drop(f"unknown route keyword {dest}")
    r.dest = dest
    if family is None and line.explicit:
        # `inet6 default`: keepalived 2.2.7 steps over the word after inet/inet6 (its
        # index moves twice), so it never gets here; the family word is honoured instead
        return
    line.claim(family, f"Cannot mix IPv4 and IPv6 addresses for route ({dest})")


#: the sub-option words of each encap type (parse_encap_*); their values are not checked
_ENCAP_WORDS = {"ip": frozenset({"id", "dst", "src", "tos", "ttl", "flags"}),
                "ip6": frozenset({"id", "dst", "src", "tc", "hoplimit", "flags"}),
                "mpls": frozenset({"ttl"}), "ila": frozenset()}


def _encap(line: Line) -> None:
    """parse_encap: the type is checked, its sub-options only skipped (see the module
    note). An unknown type also skips the word after it, as keepalived's index does."""
    if line.i + 1 >= len(line.words):
        line.say("Missing encap type")
        line.i = len(line.words)
        return
    kind = line.next()
    if kind not in _ENCAP_WORDS:
        line.say(f"Unknown encap type - {kind}")
        line.i += 1
        return
    if kind in ("mpls", "ila"):
        line.i += 1  # the label stack / the locator
    while line.i + 2 < len(line.words) and line.words[line.i + 1] in _ENCAP_WORDS[kind]:
        line.i += 2


def _nexthops(line: Line) -> None:
    """parse_nexthops: a bad next hop is complained about, and the route is kept."""
    words = line.words
    family: int | None = None
    try:
        while line.i < len(words) and words[line.i] == "nexthop":
            line.i += 1
            while line.i < len(words):
                word = words[line.i]
                if word == "via":
                    text = line.next()
                    if text in ("inet", "inet6"):
                        family = 6 if text == "inet6" else 4
                        text = line.next()
                    if family is not None:
                        line.claim(family, "IPv4/6 mismatch for nexthop")
                    address = line.address(text, prefix=False)
                    if address is None:
                        raise line.drop(f"invalid nexthop address {text}")
                    line.claim(address.version, "Address family mismatch for next hop")
                elif word == "dev":
                    line.device(line.next(),
                                "WARNING - interface {} for VROUTE nexthop doesn't exist")
                elif word == "weight":
                    weight = line.unsigned(line.next(), 256,
                                           "Invalid weight {} specified for route")
                    if weight == 0:
                        raise line.drop("Invalid weight 0 specified for route")
                elif word == "onlink":
                    pass
                elif word == "encap":
                    _encap(line)
                elif word == "realms":
                    text = line.next()
                    if not realms(line, text):
                        raise line.drop(f"Invalid realms {text} for route")
                    line.claim(4, "realms are only supported for IPv4")
                elif word == "as":
                    if line.next() == "to":
                        line.i += 1
                    raise line.drop("'as [to]' (nat) not supported")
                else:
                    break
                line.i += 1
    except (Dropped, Unseen):  # this next hop is left out; the route is read on
        return
    if line.i < len(words):
        line.say(f"Route has trailing nonsense after nexthops - {words[line.i]}")
