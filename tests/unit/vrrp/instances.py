"""One way to build the instance under test: keepalived-like defaults plus overrides."""

from __future__ import annotations

from ipaddress import IPv4Address

from pykeepalived.vrrp.events import Startup
from pykeepalived.vrrp.instance import VrrpInstance
from pykeepalived.vrrp.params import InstanceParams

VIP = IPv4Address("192.0.2.100")


def instance_params(**overrides: object) -> InstanceParams:
    """VI_1, VRID 51, VRRPv3, one VIP; anything else from `overrides`."""
    fields: dict[str, object] = {"name": "VI_1", "vrid": 51, "version": 3,
                                 "virtual_addresses": (VIP,)}
    fields.update(overrides)
    return InstanceParams(**fields)  # type: ignore[arg-type]


def started(now: float = 0.0, **overrides: object) -> VrrpInstance:
    """An instance that has handled Startup at `now` (BACKUP unless it is the owner)."""
    inst = VrrpInstance(instance_params(**overrides))
    inst.handle(Startup(), now=now)
    return inst
