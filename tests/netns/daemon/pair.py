"""The two-node setting the daemon tests share: a pykeepalived pair, its VIP, its bound.

Host a (192.0.2.171 in a Lab with base 170) gets priority 150, host b (.172) 100; VRRPv3
at advert_int 0.1 s keeps Master_Down_Interval near 0.36 s, so TAKEOVER is several of
them plus a Python daemon's start-up. VIPs 192.0.2.179 and 2001:db8::179.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netlab.conf import Unicast, instance_conf
from netlab.peers import PyNode

if TYPE_CHECKING:
    from netlab.conf import Auth
    from netlab.lab import Lab

VIP4 = "192.0.2.179"
VIP6 = "2001:db8::179"
#: several Master_Down_Intervals at 0.1 s adverts, plus process start-up
TAKEOVER = 5.0


def pair(lab: Lab, *, vip: str = f"{VIP4}/24", vrid: int = 171, nopreempt: bool = False,
         unicast: bool = False, version: int = 3, advert: str = "0.1",
         auth: Auth | None = None) -> tuple[PyNode, PyNode]:
    """a (priority 150) and b (100) with the same instance; `unicast`: to each other."""
    def node(me: str, peer: str, priority: int) -> PyNode:
        to_peer = Unicast(str(lab.host(me).ipv4), [str(lab.host(peer).ipv4)])
        return PyNode(lab, me, instance_conf(
            vrid=vrid, priority=priority, vip=vip, version=version, advert=advert,
            nopreempt=nopreempt, auth=auth, unicast=to_peer if unicast else None))
    return node("a", "b", 150), node("b", "a", 100)
