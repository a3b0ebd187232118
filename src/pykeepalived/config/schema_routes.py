"""virtual_routes / virtual_rules (and static_routes / static_rules) lines, checked word by
word as keepalived 2.2.7 reads them while parsing (vrrp_iproute.c alloc_route,
vrrp_iprule.c alloc_rule, vrrp_ip_rule_route_parser.c): each complaint in keepalived's
words on the line's own line, and the line dropped where keepalived drops it.

The line itself is kept as words (`RouteLine`); specs/addresses.py builds what netlink is
asked to hold from them. A device this host lacks is complained about where keepalived
does, but the line is kept (keepalived's vrrp child stops there with BAD_IF; ours runs).
Where keepalived 2.2.7 steps over the word after `inet` / `inet6` (its index moves
twice), ours reads that word. Not checked here: encap's sub-options (an unknown encap
type is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pykeepalived.config import values
from pykeepalived.config.model import RouteLine
from pykeepalived.config.schema import arg
from pykeepalived.constants import UINT_MAX

if TYPE_CHECKING:
    from pykeepalived.config.schema import Ctx, NodeLike

__all__ = ["check_route", "check_rule"]

#: rtnetlink's route types by name (lib/rttables.c rtntypes); a number up to 255 is one too
RTN_TYPES = {"local": 2, "nat": 10, "broadcast": 3, "brd": 3, "anycast": 4, "multicast": 5,
             "prohibit": 8, "unreachable": 7, "blackhole": 6, "xresolve": 11, "unicast": 1,
             "throw": 9}
#: the names keepalived knows without the /etc/iproute2 files
RT_DEFAULTS: dict[str, dict[str, int]] = {
    "rt_tables": {"default": 253, "main": 254, "local": 255},
    "rt_protos": {"none": 0, "redirect": 1, "kernel": 2, "boot": 3, "static": 4, "gated": 8,
                  "ra": 9, "mrt": 10, "zebra": 11, "bird": 12, "dnrouted": 13, "xorp": 14,
                  "ntk": 15, "dhcp": 16, "babel": 42},
    "rt_scopes": {"global": 0, "nowhere": 255, "host": 254, "link": 253, "site": 200},
    "rt_dsfield": {}, "rt_realms": {}, "group": {},
}
RTPROT_KEEPALIVED = 18
#: keepalived numbers rules without a preference down from here, per family, in file order
RULE_START_PRIORITY = 16384
_RTT_MAX_MS = 120000


class _Dropped(Exception):
    """keepalived's `goto err`: the line is not kept."""


class _Stop(Exception):
    """keepalived's `break` out of the word loop."""


class _Unseen(Exception):
    """A device this host lacks: keepalived reads no further (and its vrrp child stops
    with BAD_IF); ours runs regardless, so the line is kept as written."""


def _strtoul(text: str) -> int | None:
    """strtoul(text, &end, 0) that must use every character; None when it does not. A
    leading '-' wraps (so it is larger than any bound here)."""
    word = text.lstrip(" \t\n\v\f\r")
    negative = word.startswith("-")
    word = word[1:] if word[:1] in "+-" else word
    try:
        if word[:2].lower() == "0x":
            value = int(word[2:], 16) if word[2:] and word[2:].isalnum() else None
        elif word.startswith("0") and len(word) > 1:
            value = int(word, 8)
        else:
            value = int(word, 10) if word.isdigit() else None
    except ValueError:
        return None
    if value is None:
        return None
    return 2**64 - value if negative and value else value


@dataclass
class _Line:
    """One route/rule line being read: keepalived's word index and what it found."""

    ctx: Ctx
    node: NodeLike
    words: tuple[str, ...]
    i: int = 0
    family: int | None = None
    #: the family came from an `inet` / `inet6` word (see _destination)
    explicit: bool = False
    devices: list[str] = field(default_factory=list)

    def slot(self, index: int) -> str:
        """The word at INDEX; keepalived stops reading the file when it is missing."""
        if index < len(self.words):
            return self.words[index]
        return arg(self.ctx, self.node, index - 1)  # raises Abort with keepalived's words

    def next(self) -> str:
        self.i += 1
        return self.slot(self.i)

    def say(self, message: str) -> None:
        self.ctx.error(message, self.node.location)

    def drop(self, message: str) -> _Dropped:
        self.say(message)
        return _Dropped()

    def claim(self, family: int | None, mix: str) -> None:
        """The line's family is the first one seen; a later other one drops it."""
        if self.family is None:
            self.family = family
        elif family != self.family:
            raise self.drop(mix)

    def rt_name(self, table: str, word: str, hi: int) -> int | None:
        """find_rttables_*: a number (any base) up to HI, else a name from the file."""
        number = _strtoul(word)
        if number is not None:  # keepalived keeps the low 32 bits before comparing
            return number & UINT_MAX if number & UINT_MAX <= hi else None
        entries = self.ctx.rt_names.get(table, ())
        ids = {number for number, _ in entries}
        for number, name in (*entries, *((n, w) for w, n in RT_DEFAULTS[table].items()
                                          if n not in ids)):
            if name == word:
                return number
        return None

    def unsigned(self, word: str, hi: int, invalid: str) -> int:
        """get_u8/u32: the number reader's complaint, then INVALID; the line is dropped."""
        value = values.read_unsigned(word, 0, hi, self.ctx.reporter(self.node.location))
        if value is None:
            raise self.drop(invalid.format(word))
        return value

    def address(self, word: str, *, prefix: bool) -> values.IPAddress | None:
        """parse_ipaddress (with a /len when PREFIX) and its complaint; parse_route's
        specials (default, any, all) have no family."""
        if prefix:
            found = values.parse_prefixed(word, self.ctx.reporter(self.node.location))
            return None if found is None else found.address
        address = values.parse_ip(word)
        if address is None or (address.version == 6) != (":" in word):
            self.say(f"VRRP parsed invalid IP {word}. skipping IP...")
            return None
        return address

    def route(self, word: str) -> tuple[bool, int | None]:
        """parse_route: (parsed?, family) with default/any/all of no family."""
        if word in ("default", "any", "all"):
            return True, None
        if word == "default6":
            return True, 6
        address = self.address(word, prefix=True)
        return address is not None, None if address is None else address.version

    def device(self, word: str, message: str) -> None:
        if not self.ctx.interface_exists(word):
            self.ctx.bad_interface = True
            self.say(message.format(word))
            raise _Unseen
        self.devices.append(word)

    def unseen(self) -> RouteLine:
        """The line as written, its family and devices read from its words."""
        words = self.words
        devices = tuple(words[i + 1] for i, word in enumerate(words[:-1])
                        if word in ("dev", "oif", "iif"))
        family = 6 if any(":" in word for word in words) or "inet6" in words else 4
        return RouteLine(words, self.node.location, family, devices, "no_track" in words)

    def lock(self) -> str:
        word = self.next()
        return self.next() if word == "lock" else word


def _rtt(line: _Line, word: str, unit: int) -> bool:
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


def _realms(line: _Line, word: str) -> bool:
    """get_realms: `N` or `N/M`, each a number up to 255 or an rt_realms name."""
    parts = word.split("/", 1)
    return all(line.rt_name("rt_realms", part, 255) is not None for part in parts)


def check_route(ctx: Ctx, node: NodeLike, *, static: bool) -> RouteLine | None:
    """One route line as alloc_route reads it: None when keepalived drops it."""
    line = _Line(ctx, node, (node.keyword, *node.args))
    try:
        no_track = _route_words(line, static)
    except _Dropped:
        return None
    except _Unseen:
        return line.unseen()
    return RouteLine(line.words, node.location, line.family or 4, tuple(line.devices),
                     no_track)


@dataclass
class _Route:
    dest: str | None = None
    oif: bool = False
    protocol: int | None = None
    no_track: bool = False
    track_group: bool = False
    hops: int = 0  # "or" next hops


def _route_words(line: _Line, static: bool) -> bool:
    r = _Route()
    mix = "Cannot mix IPv4 and IPv6 addresses for route"
    words = line.words
    nexthops = False
    try:
        while line.i < len(words):
            word = words[line.i]
            if word in ("inet", "inet6"):
                version = 6 if word == "inet6" else 4
                if line.family is not None and line.family != version:
                    other = "IPv4" if version == 6 else "IPv6"
                    raise line.drop(f"{word} specified for {other} route")
                line.family, line.explicit = version, True
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
                if not _realms(line, text):
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
                r.track_group = _track_group(line, r.track_group)
            elif word == "vrf":
                _vrf(line, line.next())
            else:
                _destination(line, r, word)
            line.i += 1
    except _Stop:
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


def _track_group(line: _Line, already: bool) -> bool:
    """`track_group NAME` (static lines): a group defined before the line, else none.
    A second one ends the line (keepalived then finds "trailing nonsense" in a route)."""
    name = line.next()
    if already:
        line.say(f"track_group {name} is a duplicate")
        raise _Stop
    if name not in line.ctx.known.get("track_group", set()):
        line.say(f"track_group {name} not found")
        return False
    return True


def _vrf(line: _Line, name: str) -> None:
    """`vrf NAME`: an existing VRF device (looked up without dynamic_interfaces)."""
    known = line.ctx.interfaces
    if known is None:  # another host's file: not judged
        return
    if name not in known:
        raise line.drop(f"VRF {name} not found for route")
    if name not in line.ctx.vrfs:
        raise line.drop(f"Route specified VRF {name} is not a VRF")


def _rtn_type(word: str) -> int | None:
    """find_rttables_rtntype: a type name, or a number up to 255."""
    if word in RTN_TYPES:
        return RTN_TYPES[word]
    number = _strtoul(word)
    if number is None or number > 255 or word.startswith("-"):
        return None
    return number


def _destination(line: _Line, r: _Route, word: str) -> None:
    """The catch-all branch: `[to] [TYPE] PREFIX`; a word that is none of these is
    "unknown route keyword"."""
    if word == "to":
        line.i += 1
    if _rtn_type(word) is not None:
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


def _encap(line: _Line) -> None:
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


def _nexthops(line: _Line) -> None:
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
                    if not _realms(line, text):
                        raise line.drop(f"Invalid realms {text} for route")
                    line.claim(4, "realms are only supported for IPv4")
                elif word == "as":
                    if line.next() == "to":
                        line.i += 1
                    raise line.drop("'as [to]' (nat) not supported")
                else:
                    break
                line.i += 1
    except (_Dropped, _Unseen):  # this next hop is left out; the route is read on
        return
    if line.i < len(words):
        line.say(f"Route has trailing nonsense after nexthops - {words[line.i]}")


def check_rule(ctx: Ctx, node: NodeLike, *, static: bool) -> RouteLine | None:
    """One rule line as alloc_rule reads it: None when keepalived drops it."""
    line = _Line(ctx, node, (node.keyword, *node.args))
    try:
        no_track = _rule_words(line, static)
    except _Dropped:
        return None
    except _Unseen:
        return line.unseen()
    return RouteLine(line.words, node.location, line.family or 4, tuple(line.devices),
                     no_track)


@dataclass
class _Rule:
    action: str | None = None
    priority: int | None = None
    goto: int = 0
    table_option: bool = False
    table: bool = False
    l3mdev: bool = False
    protocol: int | None = None
    no_track: bool = False
    track_group: bool = False
    iif: bool = False


_ACTION_TWICE = ("Cannot specify more than one of table/nop/goto/blackhole/prohibit/"
                 "unreachable{} for rule")


def _rule_words(line: _Line, static: bool) -> bool:
    r = _Rule()
    mixed = "rule specification has mixed IPv4 and IPv6"
    words = line.words
    try:
        while line.i < len(words):
            word = words[line.i]
            if word in ("inet", "inet6"):
                version = 6 if word == "inet6" else 4
                if line.family is not None and line.family != version:
                    other = "IPv4" if version == 6 else "IPv6"
                    raise line.drop(f"{word} specified for {other} rule")
                line.family, line.explicit = version, True
            elif word in ("from", "to"):
                text = line.next()
                parsed, family = line.route(text)
                if not parsed:
                    raise line.drop(f"Invalid rule {word} address {text}")
                if family is not None or not line.explicit:  # `inet6 from all` (_destination)
                    line.claim(family, mixed)
            elif word in ("table", "lookup"):
                text = line.next()
                table = line.rt_name("rt_tables", text, UINT_MAX)
                if table is None:
                    raise line.drop(f"Routing table {text} not found for rule")
                if table == 0:
                    raise line.drop("Table 0 is not valid")
                r.table = True
                if r.action is not None:
                    raise line.drop(_ACTION_TWICE.format(""))
                r.action = "table"
            elif word == "not":
                pass
            elif word in ("preference", "order", "priority"):
                text = line.next()
                r.priority = _strtoul(text) if not text.lstrip().startswith("-") else None
                if r.priority is None or r.priority > UINT_MAX:
                    values.read_unsigned(text, 0, UINT_MAX, line.ctx.reporter(line.node.location))
                    raise line.drop(f"Invalid rule preference {word} specified")
            elif word in ("tos", "dsfield"):
                text = line.next()
                if line.rt_name("rt_dsfield", text, 255) is None:
                    raise line.drop(f"TOS value {text} is invalid")
            elif word == "fwmark":
                text = line.next()
                if not _fwmark(text):
                    raise line.drop(f"Invalid rule fwmark {text.lstrip()} specified")
            elif word == "realms":
                text = line.next()
                if not _realms(line, text):
                    raise line.drop(f"invalid realms {text} for rule")
                r.table_option = True
                line.claim(4, "realms is only valid for IPv4")
            elif word in ("suppress_prefixlength", "sup_pl"):
                line.unsigned(line.next(), 2**31 - 1,
                              f"Invalid suppress_prefixlength {word} specified")
                r.table_option = True
            elif word in ("suppress_ifgroup", "sup_group"):
                text = line.next()
                if line.rt_name("group", text, 2**31 - 1) is None:
                    raise line.drop(f"suppress_group {text} is invalid")
                r.table_option = True
            elif word in ("dev", "iif", "oif"):
                line.device(line.next(), "WARNING - interface {} for rule doesn't exist")
                r.iif = r.iif or word != "oif"
            elif word == "tunnel-id":
                text = line.next()
                if _strtoul(text) is None or text.lstrip().startswith("-"):
                    values.read_unsigned(text, 0, 2**64 - 1, line.ctx.reporter(line.node.location))
                    raise line.drop(f"Invalid tunnel-id {word} specified")
            elif word == "uidrange":
                first, dash, last = line.next().partition("-")
                if not (dash and first.isdigit() and last[:1].isdigit()):
                    raise line.drop(f"Invalid uidrange {word} specified")
            elif word == "l3mdev":
                r.l3mdev = True
                if r.action is not None:
                    raise line.drop("Cannot specify l3mdev with other action")
                r.action = "table"
            elif word == "protocol":
                text = line.next()
                r.protocol = values.read_unsigned(text, 0, 255,
                                                  line.ctx.reporter(line.node.location))
                if r.protocol is None:
                    line.say(f"Invalid protocol {text}")
            elif word == "ipproto":
                text = line.next()
                if not _ipproto(line, text):
                    line.say(f"Invalid ipproto {text}")
            elif word in ("sport", "dport"):
                text = line.next()
                if not _port_range(text):
                    line.say(f"invalid {word} range {text}")
            elif word == "no_track":
                r.no_track = True
            elif static and word == "track_group":
                r.track_group = _track_group(line, r.track_group)
            else:
                _rule_action(line, r, word)
            line.i += 1
    except _Stop:
        pass
    if r.action == "goto":
        if r.priority is None:
            raise line.drop(f"Invalid rule - goto target {r.goto} specified without preference")
        if r.priority >= r.goto:
            raise line.drop(f"Invalid rule - preference {r.priority} >= goto target {r.goto}")
    if r.action is None:
        raise line.drop("No action specified for rule - ignoring")
    if r.action != "table" and r.table_option:
        raise line.drop("suppressor/realm specified for non table action - skipping")
    if r.table and r.l3mdev:
        raise line.drop("table cannot be specified for l3mdev rules")
    if not r.no_track and r.protocol is not None and r.protocol != RTPROT_KEEPALIVED:
        line.say("Rule cannot be tracked if protocol is not"
                 f" RTPROT_KEEPALIVED({RTPROT_KEEPALIVED}), resetting protocol")
    if r.track_group and not r.iif:
        line.say("Static rule cannot have track_group if dev/iif not specified")
    if r.priority is None:
        family = line.family or 4
        number = line.ctx.rule_priority.get(family, RULE_START_PRIORITY)
        line.ctx.rule_priority[family] = number - 1
        line.say(f"Rule has no preference specified - setting to {number}. This is probably"
                 " not what you want.")
    return r.no_track


#: names getprotobyname knows on a usual host, when /etc/protocols was not read
_IP_PROTOS = frozenset({"ip", "icmp", "igmp", "tcp", "udp", "ipv6", "gre", "esp", "ah",
                        "ipv6-icmp", "sctp", "udplite", "dccp", "pim", "ipip", "egp", "pup",
                        "idp", "rsvp", "l2tp", "mptcp"})


def _ipproto(line: _Line, text: str) -> bool:
    """inet_proto_a2n: a decimal number up to 127, else a protocol name."""
    word = text.lstrip(" \t")
    if not word or word.startswith("-"):
        return False
    digits = len(word) - len(word.lstrip("0123456789"))
    if digits and int(word[:digits]) > 127:
        return False
    if digits == len(word):
        return True
    names = line.ctx.protocols
    return word in (_IP_PROTOS if names is None else names)


def _rule_action(line: _Line, r: _Rule, word: str) -> None:
    if word == "type":
        word = line.next()
    if word == "goto":
        text = line.next()
        target = values.read_unsigned(text, 0, UINT_MAX, line.ctx.reporter(line.node.location))
        if target is None:
            raise line.drop(f"Invalid target {word} specified")
        r.goto = target
        action = "goto"
    elif word == "nop":
        action = "nop"
    elif (number := _rtn_type(word)) is not None:
        names = {6: "blackhole", 7: "unreachable", 8: "prohibit"}
        if number not in names:
            raise line.drop(f"Invalid rule action {word}")
        action = names[number]
    else:
        raise line.drop(f"Unknown rule option {word}")
    if r.action is not None:
        raise line.drop(_ACTION_TWICE.format("/l3mdev"))
    r.action = action


def _fwmark(text: str) -> bool:
    word = text.lstrip(" \t")
    mark, slash, mask = word.partition("/")
    if word.startswith("-") or (slash and (mask[:1].isspace() or mask.startswith("-"))):
        return False
    # strtoul reads nothing from an empty part, which then counts as 0
    first = _strtoul(mark) if mark else 0
    if first is None or first > UINT_MAX:
        return False
    if slash:
        second = _strtoul(mask) if mask else 0
        return second is not None and second <= UINT_MAX
    return True


def _port_range(text: str) -> bool:
    """sscanf("%hu-%hu") == 2. keepalived 2.2.7 means to take one port too, but tests
    the count after widening it, so `sport 80` is complained about (and, there, the rule
    is installed without the port; specs/ does not install port selectors at all)."""
    first, dash, last = text.partition("-")
    return first.isdigit() and bool(dash) and last[:1].isdigit()

