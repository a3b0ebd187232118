"""Inputs to a `VrrpInstance`: everything that can happen to a virtual router.

Each event is a frozen value; time is never part of an event but the `now` keyword passed
next to it, so the same event can be replayed at any virtual time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.vrrp.advert import Advertisement, IPAddress


@dataclass(frozen=True, slots=True)
class Startup:
    """The daemon starts the instance (RFC 5798 §6.4.1 "Startup event")."""


@dataclass(frozen=True, slots=True)
class Shutdown:
    """The daemon stops the instance (SIGTERM, reload removing it)."""


@dataclass(frozen=True, slots=True)
class Timeout:
    """The adapter's timer for `next_deadline()` fired; the core decides which timers are due."""


@dataclass(frozen=True, slots=True)
class AdvertReceived:
    """An advert the codec accepted, with what only the socket knows about it.

    `ttl` is the IPv4 TTL / IPv6 hop limit, None when the socket could not report it
    (keepalived then skips the TTL checks). `unicast` says whether the packet's destination
    was a unicast address: keepalived drops multicast adverts on a unicast instance and
    the reverse.
    """

    advert: Advertisement
    source: IPAddress
    ttl: int | None = 255
    unicast: bool = False


@dataclass(frozen=True, slots=True)
class PacketDropped:
    """The codec rejected a packet for this instance; counted in the same stats.

    `reason` is one of "length", "checksum", "version", "type", "auth_type", "auth"
    (e.g. an AH digest failure); anything else is counted as `malformed`.
    """

    reason: str


@dataclass(frozen=True, slots=True)
class PriorityChanged:
    """The trackers computed a new effective priority (already base + weights)."""

    effective: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FaultChanged:
    """A tracked interface, script or file put the instance in or out of FAULT."""

    faulted: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class WitnessChanged:
    """pykeepalived's own: the instance's neighbour witnesses (any of them) became
    reachable, or none is any more. `detail` says which, for the reason shown."""

    reachable: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class LeaseChanged:
    """pykeepalived's own: what the lease witness (etcd) says of this instance's key.

    held: we hold the key under a live lease; `revision` is the fencing token, `until` the
    time (the core's clock) by which it must be renewed again or the VIP given up.
    Not held: `holder` names who holds it (if anyone), `etcd_down` says etcd answered at
    the network level but did not serve (refused, or an error), as opposed to not being
    reached at all; `reason` is for the operator.
    """

    held: bool
    revision: int = 0
    until: float | None = None
    holder: str = ""
    etcd_down: bool = False
    reason: str = ""


Event = (
    Startup | Shutdown | Timeout | AdvertReceived | PacketDropped | PriorityChanged
    | FaultChanged | WitnessChanged | LeaseChanged
)
