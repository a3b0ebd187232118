"""The wire side of one instance: received datagram → event, advert → datagrams to send.

Kept apart from the runtime so the wire rules (checksums, PASS, AH) stay in one place.

keepalived's IPsec-AH (VRRPv2, IP protocol 51) is the one stateful part: its ICV covers
the IPv4 header, so the sender writes the header itself (IP_HDRINCL) with its own IP
identification, and one anti-replay counter per instance numbers the adverts it sends
and is raised by every advert it accepts (keepalived/vrrp/vrrp.c vrrp_update_pkt,
vrrp_in_chk_ipsecah, vrrp_state_master_rx). `AhState` holds both counters; the runtime
keeps it across reloads as keepalived keeps `ipsecah_counter`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from pykeepalived.vrrp.actions import Log, LogLevel
from pykeepalived.vrrp.advert import VRRP_TTL, AuthType
from pykeepalived.vrrp.ah import AH_HEADER_LEN, AH_PROTOCOL, AhSequence, unpack_header
from pykeepalived.vrrp.events import AdvertReceived, PacketDropped
from pykeepalived.vrrp.ipv4 import build_ipv4_packet
from pykeepalived.vrrp.packet import DropReason, MalformedPacket, decode_full, encode
from pykeepalived.vrrp.params import State
from pykeepalived.vrrp.receive import check_advert
from pykeepalived.vrrp.stats import InstanceStats

if TYPE_CHECKING:
    from pykeepalived.adapters.datagram import Datagram
    from pykeepalived.specs.instance import InstanceSpec, SocketSpec
    from pykeepalived.vrrp.advert import Advertisement, IPAddress
    from pykeepalived.vrrp.events import Event

_ID_MODULUS = 0x10000


@dataclass(slots=True)
class AhState:
    """One AH instance's counters: the anti-replay sequence and the IP identification.

    keepalived starts both at 0 (so the first advert carries id 1 and sequence 1) and
    skips id 0, which would let the kernel choose an id the ICV does not cover.
    """

    sequence: AhSequence = field(default_factory=AhSequence)
    ip_id: int = 0

    def next_ip_id(self) -> int:
        self.ip_id = (self.ip_id + 1) % _ID_MODULUS or 1
        return self.ip_id


def ah_state_for(spec: InstanceSpec) -> AhState | None:
    return AhState() if spec.socket.auth_type is AuthType.AH else None


# ---------------------------------------------------------------------------- sending


def advert_datagrams(sock: SocketSpec, advert: Advertisement,
                     ah: AhState | None) -> list[tuple[bytes, IPAddress]]:
    """What to hand the socket for one advert: to the group, or one copy per peer.

    For AH, one sequence number and one IP id per advert, shared by every unicast copy
    (keepalived numbers the advert once, then rewrites only the destination per peer).
    Raises ValueError for an advert that cannot be encoded.
    """
    assert sock.source is not None
    targets = (sock.group,) if sock.group is not None else sock.peers
    if ah is None or advert.auth_type is not AuthType.AH:
        return [(encode(advert, source=sock.source, destination=d, checksum=sock.send_checksum,
                        auth_key=sock.auth_key), d) for d in targets]
    sequence, ip_id = ah.sequence.next_to_send(), ah.next_ip_id()
    ttl = VRRP_TTL if sock.group is not None else sock.unicast_ttl
    source = sock.source
    if not isinstance(source, IPv4Address):
        raise ValueError(f"AH needs an IPv4 source, not {source}")
    datagrams: list[tuple[bytes, IPAddress]] = []
    for destination in targets:
        assert isinstance(destination, IPv4Address)
        packet = build_ipv4_packet(advert, source=source, destination=destination,
                                   auth_key=sock.auth_key, ah_sequence=sequence, ip_id=ip_id,
                                   ttl=ttl)
        datagrams.append((packet, destination))
    return datagrams


# ---------------------------------------------------------------------------- receiving


def datagram_vrid(datagram: Datagram) -> int | None:
    """The VRID a datagram is for, to dispatch it (behind the AH header for protocol 51)."""
    offset = AH_HEADER_LEN + 1 if datagram.protocol == AH_PROTOCOL else 1
    return datagram.payload[offset] if len(datagram.payload) > offset else None


def receive(spec: InstanceSpec, datagram: Datagram, ah: AhState | None = None, *,
            state: State = State.BACKUP) -> tuple[Event, Log | None]:
    """The advert, or PacketDropped with the log line saying why.

    `state` is the instance's: keepalived checks (and moves the AH counter on) only in
    BACKUP and MASTER, so in INIT/FAULT an AH advert is decoded but not numbered.
    """
    sock = spec.socket
    try:
        decoded = decode_full(datagram.payload, source=datagram.source,
                              destination=datagram.destination, protocol=datagram.protocol,
                              checksums=sock.accept_checksums, auth_type=sock.auth_type,
                              auth_key=sock.auth_key, ip_header=datagram.ip_header or None)
    except MalformedPacket as exc:
        return PacketDropped(exc.reason.value), _drop_line(spec, datagram, exc)
    if decoded.ah_sequence is not None and ah is not None \
            and state in (State.BACKUP, State.MASTER):
        refused = _check_sequence(spec.name, ah, decoded.ah_sequence, state)
        if refused is not None:
            return PacketDropped(DropReason.AUTH_FAILURE.value), refused
    return AdvertReceived(advert=decoded.advert, source=datagram.source, ttl=datagram.ttl,
                          unicast=not datagram.destination.is_multicast), None


def _check_sequence(name: str, ah: AhState, received: int, state: State) -> Log | None:
    counter = ah.sequence
    local = counter.last
    if not counter.accept(received):
        return Log(f"({name}) IPSEC-AH : sequence number {received} already processed. "
                   f"Packet dropped. Local({local})")
    if state is State.BACKUP:
        counter.cycled = False
    return None


def _drop_line(spec: InstanceSpec, datagram: Datagram, exc: MalformedPacket) -> Log:
    """keepalived's INFO lines for AH failures; our own detail (with -D) for the rest."""
    if exc.reason is DropReason.AUTH_FAILURE and datagram.protocol == AH_PROTOCOL:
        if exc.detail.startswith("SPI"):
            # keepalived prints both as raw 32-bit words read in host (little-endian) order
            spi = int.from_bytes(datagram.payload[4:8], "little")
            source = int.from_bytes(datagram.source.packed, "little")
            return Log(f"IPSEC AH : invalid IPSEC SPI value. {source} and expect {spi}")
        return Log(f"({spec.name}) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields "
                   "mutation or bad password !")
    return Log(f"({spec.name}) dropped packet from {datagram.source}: {exc.detail}",
               LogLevel.DETAIL)


def answers_lower_priority(spec: InstanceSpec, state: State, effective: int,
                           event: Event) -> bool:
    """Will a MASTER treat this advert as lower priority (and so resync its AH counter)?

    Asked before the core handles the advert, with a throwaway stats object so the
    core's own checks (which keepalived runs first) are not counted twice.
    """
    if state is not State.MASTER or not isinstance(event, AdvertReceived):
        return False
    if check_advert(spec.params, InstanceStats(), event, check_addresses=True) is not None:
        return False
    priority = event.advert.priority
    if priority == 0:
        return False
    primary = spec.params.primary_address
    lower_address = primary is not None and event.source.version == primary.version \
        and int(event.source) < int(primary)
    return priority < effective or (priority == effective and lower_address)


def sync_from_lower_priority(spec: InstanceSpec, ah: AhState, datagram: Datagram) -> Log:
    """keepalived continues numbering above a lower-priority node's sequence number."""
    ah.sequence.sync_from_lower_priority(unpack_header(datagram.payload).sequence)
    return Log(f"({spec.name}) IPSEC-AH : Syncing seq_num - Increment seq")
