"""The VRRP wire codec: Advertisement <-> the octets after the IP header, v2 and v3.

The adapter reads the IP header fields (source, destination, protocol 112 or 51) from the
kernel and hands the payload here; the codec checks what the wire can tell and nothing
else. TTL, VRID, priority and interval mismatches are the state machine's decisions.

Receive checks run in one fixed order (FRR's, close to keepalived's): length, version,
checksum, type, address count against length, v3 count and interval not zero, then v2
authentication. Peer garbage only ever raises `MalformedPacket`; API misuse (an advert
that cannot be encoded) raises `ValueError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING

from pykeepalived.vrrp import ah
from pykeepalived.vrrp.advert import VRRP_PROTOCOL, VRRP_TTL, Advertisement, AuthType, IPAddress
from pykeepalived.vrrp.checksum import ChecksumMode, internet_checksum, vrrp_checksum_start
from pykeepalived.vrrp.frames import ipv4_header

if TYPE_CHECKING:
    from collections.abc import Collection

HEADER_LEN = 8
V2_AUTH_LEN = 8
ADVERTISEMENT_TYPE = 1
#: keepalived's TOS for adverts: "internet network control" (vrrp_build_ip4).
VRRP_TOS = 0xC0
_MAX_V3_INTERVAL_CS = 0x0FFF


class DropReason(Enum):
    """Why a received packet was dropped; `counter` is keepalived's stats name for it.

    Values shared with `events.PacketDropped.reason` ("length", "checksum", ...) are
    spelled the same, so `PacketDropped(reason=exc.reason.value)` needs no table.
    """

    PACKET_LENGTH = "length"
    VERSION = "version"
    CHECKSUM = "checksum"
    INVALID_TYPE = "type"
    ADDRESS_COUNT = "address_count"
    NO_ADDRESSES = "no_addresses"
    INTERVAL_ZERO = "interval_zero"
    INVALID_AUTHTYPE = "auth_type"
    AUTHTYPE_MISMATCH = "auth_type_mismatch"
    AUTH_FAILURE = "auth"
    NOT_VRRP = "not_vrrp"
    #: never raised by the codec: the TTL/hop limit check belongs to the caller.
    IP_TTL = "ttl"

    @property
    def counter(self) -> str | None:
        """keepalived's counter for it (stats/JSON, or SNMP-only for version and checksum)."""
        return _KEEPALIVED_COUNTERS.get(self)


_KEEPALIVED_COUNTERS = {
    DropReason.PACKET_LENGTH: "packet_len_err",
    # keepalived derives the expected length from the count, so a bad count is a length error
    DropReason.ADDRESS_COUNT: "packet_len_err",
    DropReason.VERSION: "vers_err",
    DropReason.CHECKSUM: "chk_err",
    DropReason.NO_ADDRESSES: "addr_list_err",
    DropReason.INVALID_TYPE: "invalid_type_rcvd",
    DropReason.INTERVAL_ZERO: "advert_interval_err",
    DropReason.INVALID_AUTHTYPE: "invalid_authtype",
    DropReason.AUTHTYPE_MISMATCH: "authtype_mismatch",
    DropReason.AUTH_FAILURE: "auth_failure",
    DropReason.IP_TTL: "ip_ttl_err",
}


class MalformedPacket(Exception):
    """A received packet the codec refuses; the caller counts `reason` and drops it."""

    def __init__(self, reason: DropReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Decoded:
    """A decoded advert plus what the adapter learns from the wire.

    `checksum` is the v3 IPv4 variant that matched (None where only one exists: v2, IPv6),
    so a caller can learn a peer's variant as keepalived does for OLD_UNICAST.
    `ah_sequence` is the AH sequence number; the caller's `ah.AhSequence` decides replay.
    """

    advert: Advertisement
    checksum: ChecksumMode | None = None
    ah_sequence: int | None = None


# ---------------------------------------------------------------------------- encoding


def _address_octets(advert: Advertisement, source: IPAddress) -> bytes:
    family = type(source)
    for address in advert.addresses:
        if not isinstance(address, family):
            raise ValueError(f"address {address} is not in the family of source {source}")
    return b"".join(address.packed for address in advert.addresses)


def _second_word(advert: Advertisement) -> bytes:
    """Octets 4-5: v2 auth type and whole seconds; v3 12-bit centiseconds."""
    if advert.version == 2:
        seconds, rest = divmod(advert.interval_cs, 100)
        if rest or not 0 <= seconds <= 0xFF:
            raise ValueError(
                f"VRRPv2 interval must be whole seconds 0-255, got {advert.interval_cs} cs")
        return struct.pack("!BB", advert.auth_type, seconds)
    if not 1 <= advert.interval_cs <= _MAX_V3_INTERVAL_CS:
        raise ValueError(f"VRRPv3 interval must be 1-4095 cs, got {advert.interval_cs}")
    if advert.auth_type is not AuthType.NONE:
        raise ValueError("VRRPv3 has no authentication")
    return struct.pack("!H", advert.interval_cs)


def _check_encodable(advert: Advertisement, source: IPAddress, destination: IPAddress) -> None:
    if advert.version not in (2, 3):
        raise ValueError(f"VRRP version {advert.version} does not exist")
    if advert.version == 2 and not isinstance(source, IPv4Address):
        raise ValueError("VRRPv2 is IPv4 only")
    if type(source) is not type(destination):
        raise ValueError(f"source {source} and destination {destination} differ in family")
    if not 1 <= advert.vrid <= 255 or not 0 <= advert.priority <= 255:
        raise ValueError(f"VRID {advert.vrid} / priority {advert.priority} out of range")
    if (advert.version == 3 and not advert.addresses) or len(advert.addresses) > 255:
        raise ValueError(f"{len(advert.addresses)} addresses cannot be advertised")


def _auth_octets(advert: Advertisement, auth_key: bytes) -> bytes:
    if advert.version == 3:
        return b""
    if advert.auth_type is not AuthType.PASS:
        return bytes(V2_AUTH_LEN)
    padded = ah.pad_auth_key(advert.auth_data or auth_key)
    if advert.auth_data and auth_key and padded != ah.pad_auth_key(auth_key):
        raise ValueError("advert auth_data and auth_key disagree")
    return padded


def encode_message(
    advert: Advertisement,
    *,
    source: IPAddress,
    destination: IPAddress,
    checksum: ChecksumMode = ChecksumMode.KEEPALIVED,
    auth_key: bytes = b"",
) -> bytes:
    """The VRRP message alone (for AH, what goes after the AH header)."""
    _check_encodable(advert, source, destination)
    first = struct.pack("!BBBB", advert.version << 4 | ADVERTISEMENT_TYPE, advert.vrid,
                        advert.priority, len(advert.addresses))
    body = _address_octets(advert, source) + _auth_octets(advert, auth_key)
    unsummed = first + _second_word(advert) + b"\x00\x00" + body
    start = vrrp_checksum_start(advert.version, source, destination, len(unsummed), checksum,
                                VRRP_PROTOCOL)
    return unsummed[:6] + struct.pack("!H", internet_checksum(unsummed, start)) + unsummed[8:]


def encode(
    advert: Advertisement,
    *,
    source: IPAddress,
    destination: IPAddress,
    checksum: ChecksumMode = ChecksumMode.KEEPALIVED,
    auth_key: bytes = b"",
    ah_sequence: int | None = None,
    ip_id: int = 0,
    ttl: int = VRRP_TTL,
) -> bytes:
    """The IP payload to send: the VRRP message, or for AH the AH header + VRRP message.

    AH needs `auth_key`, `ah_sequence` and the `ip_id` and `ttl` the IP header will carry,
    since its ICV covers them; the adapter must send with IP_HDRINCL and that id (not 0).
    """
    message = encode_message(advert, source=source, destination=destination,
                             checksum=checksum, auth_key=auth_key)
    if advert.auth_type is not AuthType.AH:
        return message
    if ah_sequence is None or not auth_key or not 0 < ip_id <= 0xFFFF:
        raise ValueError("AH needs auth_key, ah_sequence and a non-zero ip_id")
    assert isinstance(source, IPv4Address)
    assert isinstance(destination, IPv4Address)
    header = ipv4_header(source=source, destination=destination, protocol=ah.AH_PROTOCOL,
                         payload_length=ah.AH_HEADER_LEN + len(message), ttl=ttl,
                         tos=VRRP_TOS, ident=ip_id)
    return ah.seal(header, message, key=auth_key, sequence=ah_sequence,
                   zero_ttl=not destination.is_multicast)


# ---------------------------------------------------------------------------- decoding


def _drop(reason: DropReason, detail: str) -> MalformedPacket:
    return MalformedPacket(reason, detail)


def _check_length_and_version(message: bytes, source: IPAddress) -> int:
    """keepalived's order: the whole packet's length first, computed as keepalived does
    from the header's own version bits and address count (expected_vrrp_pkt_len), then
    the version. A garbage packet is therefore a length error, as in keepalived's stats."""
    if len(message) < HEADER_LEN:
        raise _drop(DropReason.PACKET_LENGTH, f"{len(message)} octets, a VRRP header has 8")
    _check_count(message, source)
    version = message[0] >> 4
    if version not in (2, 3):
        raise _drop(DropReason.VERSION, f"version {version}")
    if version == 2 and not isinstance(source, IPv4Address):
        raise _drop(DropReason.VERSION, "VRRPv2 over IPv6")
    return version


def _match_checksum(
    message: bytes, version: int, source: IPAddress, destination: IPAddress,
    modes: Collection[ChecksumMode],
) -> ChecksumMode | None:
    """The first accepted variant that sums to zero; None when only one variant exists."""
    if version == 2 or isinstance(source, IPv6Address):
        if internet_checksum(message) if version == 2 else internet_checksum(
            message, vrrp_checksum_start(3, source, destination, len(message),
                                         ChecksumMode.KEEPALIVED, VRRP_PROTOCOL)):
            raise _drop(DropReason.CHECKSUM, f"invalid VRRPv{version} checksum")
        return None
    for mode in ChecksumMode:
        if mode in modes and not internet_checksum(message, vrrp_checksum_start(
                3, source, destination, len(message), mode, VRRP_PROTOCOL)):
            return mode
    names = ", ".join(sorted(mode.value for mode in modes))
    raise _drop(DropReason.CHECKSUM, f"invalid VRRPv3 checksum (tried {names})")


def _check_count(message: bytes, source: IPAddress) -> int:
    count = message[3]
    ipv4 = isinstance(source, IPv4Address)
    auth = V2_AUTH_LEN if ipv4 and message[0] >> 4 == 2 else 0
    expected = HEADER_LEN + count * (4 if ipv4 else 16) + auth
    if len(message) != expected:
        raise _drop(DropReason.ADDRESS_COUNT,
                    f"{count} addresses need {expected} octets, got {len(message)}")
    return count


def _addresses(message: bytes, count: int, source: IPAddress) -> tuple[IPAddress, ...]:
    if isinstance(source, IPv4Address):
        return tuple(IPv4Address(message[8 + 4 * i: 12 + 4 * i]) for i in range(count))
    return tuple(IPv6Address(message[8 + 16 * i: 24 + 16 * i]) for i in range(count))


def _check_v2_auth(message: bytes, expected: AuthType, auth_key: bytes) -> bytes:
    """keepalived's v2 auth checks; returns the auth data an advert carries (PASS only)."""
    received = message[4]
    if received not in tuple(AuthType):
        raise _drop(DropReason.INVALID_AUTHTYPE, f"auth type {received}")
    if received != expected:
        raise _drop(DropReason.AUTHTYPE_MISMATCH,
                    f"received a {received} auth, expecting {int(expected)}")
    if expected is not AuthType.PASS:
        return b""
    password = message[-V2_AUTH_LEN:]
    if not ah.same_secret(password, ah.pad_auth_key(auth_key)):
        raise _drop(DropReason.AUTH_FAILURE, "invalid password")
    return password


def _decode_message(
    message: bytes, *, source: IPAddress, destination: IPAddress,
    checksums: Collection[ChecksumMode], auth_type: AuthType, auth_key: bytes,
) -> Decoded:
    version = _check_length_and_version(message, source)
    auth, auth_data = AuthType.NONE, b""
    if version == 2:
        auth_data = _check_v2_auth(message, auth_type, auth_key)
        auth = auth_type
    if message[0] & 0x0F != ADVERTISEMENT_TYPE:
        raise _drop(DropReason.INVALID_TYPE, f"packet type {message[0] & 0x0F}")
    count = message[3]
    if version == 3 and count == 0:
        raise _drop(DropReason.NO_ADDRESSES, "VRRPv3 advert with no addresses")
    mode = _match_checksum(message, version, source, destination, checksums)
    if version == 3:
        interval = struct.unpack_from("!H", message, 4)[0] & _MAX_V3_INTERVAL_CS
        if interval == 0:
            raise _drop(DropReason.INTERVAL_ZERO, "Max Adver Int 0")
    else:
        interval = message[5] * 100
    advert = Advertisement(version=version, vrid=message[1], priority=message[2],
                           interval_cs=interval, addresses=_addresses(message, count, source),
                           auth_type=auth, auth_data=auth_data)
    return Decoded(advert, mode)


def _open_ah(payload: bytes, ip_header: bytes | None) -> tuple[bytes, int]:
    if ip_header is None:
        raise ValueError("decoding AH needs the received IPv4 header")
    if len(payload) < ah.AH_HEADER_LEN + HEADER_LEN:
        raise _drop(DropReason.PACKET_LENGTH, f"{len(payload)} octets, too short for AH + VRRP")
    header = ah.unpack_header(payload)
    if header.next_header != VRRP_PROTOCOL:
        raise _drop(DropReason.NOT_VRRP, f"AH next header {header.next_header}")
    return payload[ah.AH_HEADER_LEN:], header.sequence


def _verify_ah(payload: bytes, ip_header: bytes, auth_key: bytes, source: IPAddress,
               destination: IPAddress) -> None:
    header = ah.unpack_header(payload)
    zero_ttl = not destination.is_multicast
    if not auth_key or not ah.icv_matches(ip_header, payload, auth_key, zero_ttl=zero_ttl):
        raise _drop(DropReason.AUTH_FAILURE, "invalid IPSEC HMAC-MD5 value")
    if header.spi != int(source):
        raise _drop(DropReason.AUTH_FAILURE, f"SPI {header.spi} is not the source {source}")


def decode_full(
    payload: bytes,
    *,
    source: IPAddress,
    destination: IPAddress,
    protocol: int = VRRP_PROTOCOL,
    checksums: Collection[ChecksumMode] = (ChecksumMode.KEEPALIVED,),
    auth_type: AuthType = AuthType.NONE,
    auth_key: bytes = b"",
    ip_header: bytes | None = None,
) -> Decoded:
    """Check and decode one received IP payload; raises only `MalformedPacket`.

    `auth_type`/`auth_key` are this instance's v2 configuration (ignored for v3, as
    keepalived does). `ip_header` is the received IPv4 header, needed for AH only.
    """
    if type(source) is not type(destination):
        raise ValueError(f"source {source} and destination {destination} differ in family")
    if protocol not in (VRRP_PROTOCOL, ah.AH_PROTOCOL):
        raise _drop(DropReason.NOT_VRRP, f"IP protocol {protocol}")
    if (protocol == ah.AH_PROTOCOL) != (auth_type is AuthType.AH):
        raise _drop(DropReason.AUTHTYPE_MISMATCH,
                    f"IP protocol {protocol} with auth type {auth_type.name} configured")
    payload = bytes(payload)
    sequence = None
    message = payload
    if protocol == ah.AH_PROTOCOL:
        message, sequence = _open_ah(payload, ip_header)
    decoded = _decode_message(message, source=source, destination=destination,
                              checksums=checksums, auth_type=auth_type, auth_key=auth_key)
    if sequence is None:
        return decoded
    assert ip_header is not None
    _verify_ah(payload, ip_header, auth_key, source, destination)
    return Decoded(decoded.advert, decoded.checksum, sequence)


def decode(
    payload: bytes,
    *,
    source: IPAddress,
    destination: IPAddress,
    protocol: int = VRRP_PROTOCOL,
    checksums: Collection[ChecksumMode] = (ChecksumMode.KEEPALIVED,),
    auth_type: AuthType = AuthType.NONE,
    auth_key: bytes = b"",
    ip_header: bytes | None = None,
) -> Advertisement:
    """`decode_full` for callers that need only the advert."""
    return decode_full(payload, source=source, destination=destination, protocol=protocol,
                       checksums=checksums, auth_type=auth_type, auth_key=auth_key,
                       ip_header=ip_header).advert
