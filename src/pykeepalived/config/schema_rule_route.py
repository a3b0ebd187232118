"""What route and rule lines share as keepalived 2.2.7 reads them while parsing
(vrrp_ip_rule_route_parser.c): the word reader, numbers as strtoul reads them, names from
/etc/iproute2 (a host fact), realms, route types and the static `track_group`.

schema_routes.py reads virtual_routes / static_routes lines (alloc_route) and
schema_rules.py virtual_rules / static_rules lines (alloc_rule) with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pykeepalived.config import values
from pykeepalived.config.model import RouteLine
from pykeepalived.config.schema import arg
from pykeepalived.constants import UINT_MAX

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykeepalived.config.schema import Ctx, NodeLike


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


class Dropped(Exception):
    """keepalived's `goto err`: the line is not kept."""


class Stop(Exception):
    """keepalived's `break` out of the word loop."""


class Unseen(Exception):
    """A device this host lacks: keepalived reads no further (and its vrrp child stops
    with BAD_IF); ours runs regardless, so the line is kept as written."""


@dataclass
class Line:
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

    def drop(self, message: str) -> Dropped:
        self.say(message)
        return Dropped()

    def family_word(self, word: str, kind: str) -> None:
        """`inet` / `inet6`: the line's family, unless another one was read before."""
        version = 6 if word == "inet6" else 4
        if self.family is not None and self.family != version:
            other = "IPv4" if version == 6 else "IPv6"
            raise self.drop(f"{word} specified for {other} {kind}")
        self.family, self.explicit = version, True

    def claim(self, family: int | None, mix: str) -> None:
        """The line's family is the first one seen; a later other one drops it."""
        if self.family is None:
            self.family = family
        elif family != self.family:
            raise self.drop(mix)

    def rt_name(self, table: str, word: str, hi: int) -> int | None:
        """find_rttables_*: a number (any base) up to HI, else a name from the file."""
        number = values.strtoul(word)
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
            raise Unseen
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


def realms(line: Line, word: str) -> bool:
    """get_realms: `N` or `N/M`, each a number up to 255 or an rt_realms name."""
    parts = word.split("/", 1)
    return all(line.rt_name("rt_realms", part, 255) is not None for part in parts)


def track_group(line: Line, already: bool) -> bool:
    """`track_group NAME` (static lines): a group defined before the line, else none.
    A second one ends the line (keepalived then finds "trailing nonsense" in a route)."""
    name = line.next()
    if already:
        line.say(f"track_group {name} is a duplicate")
        raise Stop
    if name not in line.ctx.known.get("track_group", set()):
        line.say(f"track_group {name} not found")
        return False
    return True


def rtn_type(word: str) -> int | None:
    """find_rttables_rtntype: a type name, or a number up to 255."""
    if word in RTN_TYPES:
        return RTN_TYPES[word]
    number = values.strtoul(word)
    if number is None or number > 255 or word.startswith("-"):
        return None
    return number


def read_line(ctx: Ctx, node: NodeLike, words: Callable[[Line, bool], bool], *,
              static: bool) -> RouteLine | None:
    """One line read by WORDS (alloc_route's or alloc_rule's loop, which says whether the
    line is `no_track`): None when keepalived drops it, as written when a device is
    missing."""
    line = Line(ctx, node, (node.keyword, *node.args))
    try:
        no_track = words(line, static)
    except Dropped:
        return None
    except Unseen:
        return line.unseen()
    return RouteLine(line.words, node.location, line.family or 4, tuple(line.devices),
                     no_track)
