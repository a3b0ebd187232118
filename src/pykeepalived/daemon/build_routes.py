"""virtual_ipaddress, virtual_routes and virtual_rules → netlink specs (adapters/netlink.py).

Split from `build.py` because these are iproute2's grammars, not VRRP: each is parsed
word by word into what netlink is asked to add while MASTER. A route or rule we cannot
parse is skipped with a warning (the instance still runs), as keepalived skips it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Network, ip_address, ip_interface, ip_network
from socket import AF_INET, AF_INET6
from typing import TYPE_CHECKING

from pykeepalived.adapters.netlink import AddressSpec, RouteSpec, RuleSpec

if TYPE_CHECKING:
    from pykeepalived.config import model


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
        if "priority" not in values:
            values["priority"] = str(preferences.take(family))
            warnings.append(f"({name}) Rule has no preference specified - setting to "
                            f"{values['priority']}. This is probably not what you want.")
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

