"""One received datagram → the event for its instance (and the drop line, if any).

Kept apart from the runtime so the wire rules (checksums, PASS, AH) stay in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.vrrp.events import AdvertReceived, PacketDropped
from pykeepalived.vrrp.packet import MalformedPacket, decode_full

if TYPE_CHECKING:
    from pykeepalived.adapters.datagram import Datagram
    from pykeepalived.daemon.build import InstanceSpec
    from pykeepalived.vrrp.events import Event


def receive(spec: InstanceSpec, datagram: Datagram) -> tuple[Event, str | None]:
    """The advert, or PacketDropped with keepalived-style detail for the log."""
    sock = spec.socket
    try:
        decoded = decode_full(datagram.payload, source=datagram.source,
                              destination=datagram.destination, protocol=datagram.protocol,
                              checksums=sock.accept_checksums, auth_type=sock.auth_type,
                              auth_key=sock.auth_key, ip_header=datagram.ip_header or None)
    except MalformedPacket as exc:
        line = f"({spec.name}) dropped packet from {datagram.source}: {exc.detail}"
        return PacketDropped(exc.reason.value), line
    return AdvertReceived(advert=decoded.advert, source=datagram.source, ttl=datagram.ttl,
                          unicast=not datagram.destination.is_multicast), None
