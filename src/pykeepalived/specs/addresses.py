"""What netlink is asked to hold: addresses, routes and rules, and the grammars that make them.

The value types are what the netlink adapter executes and what a reload diffs (equal specs
need no netlink work); the builders turn keepalived.conf's `virtual_ipaddress`,
`virtual_routes`/`static_routes` and `virtual_rules`/`static_rules` lines into them. These
are iproute2's grammars, not VRRP: each line is parsed word by word, and a route or rule we
cannot parse is skipped with a warning (the instance still runs), as keepalived skips it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
    ip_address,
    ip_interface,
    ip_network,
)
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pykeepalived.config import model

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
IPInterface = IPv4Interface | IPv6Interface

#: Linux's address family numbers, as rtnetlink carries them in a rule.
AF_INET: Final = 2
AF_INET6: Final = 10
#: Scope names as keepalived.conf and `ip` write them (rt_scopes).
SCOPES: Final = {"global": 0, "site": 200, "link": 253, "host": 254, "nowhere": 255}
MAIN_TABLE: Final = 254


@dataclass(frozen=True, slots=True)
class AddressSpec:
    """One address as `virtual_ipaddress` describes it (`IP/MASK brd B dev D scope S label L`).

    `nodad` is keepalived's `-nodad`; `preferred_lft=0` makes an IPv6 address deprecated
    so it is never chosen as a source (keepalived's default for /128 VIPs).
    """

    ifname: str
    address: IPInterface
    broadcast: IPv4Address | None = None
    scope: str = "global"
    label: str | None = None
    nodad: bool = False
    preferred_lft: int | None = None

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"unknown scope {self.scope!r}; expected one of {sorted(SCOPES)}")
        if self.broadcast is not None and self.address.version != 4:
            raise ValueError(f"broadcast given for IPv6 address {self.address}")
        if self.label is not None and (self.address.version != 4 or len(self.label) > 15):
            raise ValueError(f"label {self.label!r} needs IPv4 and at most 15 characters")

    def describe(self) -> str:
        return f"address {self.address} on {self.ifname}"


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One route (`virtual_routes` / `static_routes`): `dst [via] [dev] [src] [scope]...`."""

    destination: IPNetwork
    via: IPAddress | None = None
    ifname: str | None = None
    source: IPAddress | None = None
    scope: str | None = None
    metric: int | None = None
    table: int = MAIN_TABLE

    def __post_init__(self) -> None:
        versions = {a.version for a in (self.via, self.source) if a is not None}
        if versions - {self.destination.version}:
            raise ValueError(f"route {self.destination}: via/src of another address family")
        if self.via is None and self.ifname is None:
            raise ValueError(f"route {self.destination} needs a gateway or a device")
        if self.scope is not None and self.scope not in SCOPES:
            raise ValueError(f"unknown scope {self.scope!r}")

    def describe(self) -> str:
        return f"route {self.destination} table {self.table}"


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One policy rule (`virtual_rules` / `static_rules`): selectors, then `table N`."""

    family: int
    table: int
    priority: int
    source: IPNetwork | None = None
    destination: IPNetwork | None = None
    iifname: str | None = None
    oifname: str | None = None
    fwmark: int | None = None

    def __post_init__(self) -> None:
        if self.family not in (AF_INET, AF_INET6):
            raise ValueError(f"rule family must be AF_INET or AF_INET6, not {self.family}")
        version = 4 if self.family == AF_INET else 6
        for net in (self.source, self.destination):
            if net is not None and net.version != version:
                raise ValueError(f"rule selector {net} is not IPv{version}")
        if not 0 <= self.priority < 2**32 or not 0 < self.table < 2**32:
            raise ValueError(f"rule priority {self.priority} / table {self.table} out of range")

    def describe(self) -> str:
        return f"rule priority {self.priority} table {self.table}"


# ---------------------------------------------------------------------------- builders


def address_spec(vip: model.VirtualAddress, ifname: str) -> AddressSpec:
    broadcast = None
    if vip.broadcast is not None and vip.address.version == 4:
        try:
            broadcast = IPv4Address(vip.broadcast)
        except ValueError:
            broadcast = None  # `brd +`/`-`: let the kernel decide
    return AddressSpec(
        ifname=vip.dev or ifname, address=ip_interface(f"{vip.address}/{vip.prefix}"),
        broadcast=broadcast, scope=vip.scope or "global",
        label=vip.label if vip.address.version == 4 else None,
        # a tentative (DAD) VIP cannot be used right after a takeover
        nodad=vip.address.version == 6, preferred_lft=vip.preferred_lft)


_ROUTE_VALUE_WORDS = frozenset({"via", "gw", "dev", "src", "scope", "metric", "table", "to"})


#: words that only mark the line (the family is already known, tracking is not ours here)
_FLAG_WORDS = frozenset({"inet", "inet6", "no_track"})


def route_spec(spec: model.RouteLine, ifname: str | None, name: str,
               warnings: list[str], kind: str = "virtual_route") -> RouteSpec | None:
    """`[to] DST [via GW] [dev IF] [src IP] [scope S] [metric N] [table T]`; else skipped.

    `ifname` is the device of a route naming neither `dev` nor `via` (the instance's
    interface); a static route has none, so such a route is skipped.
    """
    words = list(spec.words)
    values: dict[str, str] = {}
    destination: str | None = None
    try:
        while words:
            word = words.pop(0)
            if word in _FLAG_WORDS:
                continue
            if word == "track_group":
                words.pop(0)  # static_routes' track_group: not supported, ignored
                continue
            if word in _ROUTE_VALUE_WORDS and word != "to":
                values["via" if word == "gw" else word] = words.pop(0)
            elif word != "to" and destination is None:
                destination = "0.0.0.0/0" if word == "default" and spec.family == 4 else word
            else:
                raise ValueError(f"unsupported word {word!r}")
        if destination is None:
            raise ValueError("no destination")
        return RouteSpec(
            destination=ip_network(destination, strict=False),
            via=ip_address(values["via"]) if "via" in values else None,
            ifname=values.get("dev") or (None if "via" in values else ifname),
            source=ip_address(values["src"]) if "src" in values else None,
            scope=values.get("scope"),
            metric=int(values["metric"]) if "metric" in values else None,
            table=_table(values.get("table", "main")))
    except (ValueError, IndexError) as exc:
        warnings.append(f"({name}) {kind} '{spec}' skipped: {exc}")
        return None


def _table(text: str) -> int:
    return _TABLES[text] if text in _TABLES else int(text, 0)


#: iproute2's reserved table names (keepalived reads rt_tables; these are always there)
_TABLES = {"main": 254, "local": 255, "default": 253}
_RULE_PRIORITY_WORDS = frozenset({"priority", "preference", "pref", "order"})
_ANY = frozenset({"all", "any", "default"})
#: keepalived numbers rules without a preference down from here, per family
_RULE_START_PRIORITY = 16384


@dataclass
class RulePreferences:
    next: dict[int, int] = field(default_factory=lambda: {4: _RULE_START_PRIORITY,
                                                          6: _RULE_START_PRIORITY})

    def take(self, family: int) -> int:
        self.next[family] -= 1
        return self.next[family] + 1


def rule_spec(spec: model.RouteLine, name: str, warnings: list[str],
              preferences: RulePreferences, kind: str = "virtual_rule") -> RuleSpec | None:
    """`[from P] [to P] [table T] [priority N] [iif IF] [oif IF] [fwmark N]`; else skipped."""
    words, values = list(spec.words), {}
    try:
        while words:
            word = words.pop(0)
            if word in _FLAG_WORDS:
                continue
            if word == "track_group":
                words.pop(0)
                continue
            key = "priority" if word in _RULE_PRIORITY_WORDS else \
                "table" if word == "lookup" else "iif" if word == "dev" else word
            if key not in ("from", "to", "table", "priority", "iif", "oif", "fwmark"):
                raise ValueError(f"unsupported word {word!r}")
            values[key] = words.pop(0)
        table = values.get("table", "254")
        family = spec.family
        if "priority" not in values:  # config/schema_rules.py said so, with this number
            values["priority"] = str(preferences.take(family))
        return RuleSpec(
            family=AF_INET if family == 4 else AF_INET6,
            table=_table(table),
            priority=int(values["priority"], 0),
            source=_selector(values.get("from")), destination=_selector(values.get("to")),
            iifname=values.get("iif"), oifname=values.get("oif"),
            fwmark=int(values["fwmark"], 0) if "fwmark" in values else None)
    except (ValueError, IndexError) as exc:
        warnings.append(f"({name}) {kind} '{spec}' skipped: {exc}")
        return None


def _selector(text: str | None) -> IPv4Network | IPv6Network | None:
    return None if text is None or text in _ANY else ip_network(text, strict=False)

