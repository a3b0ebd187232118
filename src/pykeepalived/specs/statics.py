"""static_ipaddress, static_routes and static_rules → the host's own netlink requests.

Never moved by VRRP: keepalived adds them once the daemon is up and removes them when it
stops (daemon/statics.py does that); this is the build-time half, sharing the rule
preference counter with virtual_rules as keepalived numbers rules without a preference
from one counter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykeepalived.specs.addresses import (
    AddressSpec,
    RouteSpec,
    RuleSpec,
    address_spec,
    route_spec,
    rule_spec,
)

if TYPE_CHECKING:
    from pykeepalived.config import model
    from pykeepalived.specs.addresses import IPAddress, RulePreferences

#: keepalived's DFLT_INT: the device of a static address without `dev`
DEFAULT_INTERFACE = "eth0"


@dataclass(frozen=True, slots=True)
class StaticSpec:
    """The three static blocks as netlink requests; equal specs need no netlink work."""

    addresses: tuple[AddressSpec, ...] = ()
    routes: tuple[RouteSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    #: (ifname, ip) of the addresses re-added when removed behind our back (not no_track)
    tracked: frozenset[tuple[str, IPAddress]] = frozenset()


def static_spec(config: model.Config, preferences: RulePreferences,
                warnings: list[str]) -> StaticSpec:
    """Build-time: `preferences` is shared with virtual_rules, as keepalived numbers
    rules without a preference from one counter."""
    default_if = config.global_defs.default_interface or DEFAULT_INTERFACE
    addresses: list[AddressSpec] = []
    tracked: set[tuple[str, IPAddress]] = set()
    for vip in config.static_ipaddresses:
        try:
            spec = address_spec(vip, default_if)
        except ValueError as exc:
            warnings.append(f"static_ipaddress '{vip}' skipped: {exc}")
            continue
        addresses.append(spec)
        if not vip.no_track:
            tracked.add((spec.ifname, spec.address.ip))
    routes = (route_spec(r, None, "static", warnings, "static_route")
              for r in config.static_routes)
    rules = (rule_spec(r, "static", warnings, preferences, "static_rule")
             for r in config.static_rules)
    return StaticSpec(tuple(addresses), tuple(r for r in routes if r is not None),
                      tuple(r for r in rules if r is not None), frozenset(tracked))
