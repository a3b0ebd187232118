"""keepalived's user-space IPsec AH for VRRPv2 (`authentication { auth_type AH }`).

The kernel has no part in it: keepalived builds the AH header itself (RFC 2402 layout,
HMAC-MD5-96), so a peer interoperates only by matching keepalived 2.2.7 bit for bit
(keepalived/vrrp/vrrp.c vrrp_update_pkt and vrrp_in_chk_ipsecah):

* IP protocol 51, then a 24-octet AH header: next header 112, payload length 4, SPI = the
  sender's IPv4 source address, a sequence number, a 12-octet ICV; then the VRRPv2 message
  (auth type 2, auth data zero).
* The ICV is HMAC-MD5 keyed with the 8-octet NUL-padded `auth_pass`, over the IPv4 header
  with TOS, fragment field and header checksum zeroed (and TTL zeroed too for unicast),
  then the AH header with its ICV zeroed, then the VRRP message, truncated to 96 bits.
  The IP identification is covered, so the sender must choose it (never 0, which lets
  the kernel pick one).
* The receiver accepts a sequence number only if it is above the last one it accepted
  (`AhSequence`), and it shares that counter with its own transmissions.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from pykeepalived.vrrp.advert import VRRP_PROTOCOL

AH_PROTOCOL = 51
AH_HEADER_LEN = 24
#: RFC 2402 §2.2 payload length for a 96-bit ICV: 32-bit words minus 2.
AH_PAYLOAD_LEN = 4
ICV_LEN = 12
#: keepalived keeps auth_pass in an 8-octet field and keys the HMAC with all 8 octets.
AUTH_KEY_LEN = 8
#: keepalived stops counting here and sets its "cycle" flag (vrrp_update_pkt).
_SEQUENCE_LIMIT = 0xFFFFFFFD
_AH_FORMAT = "!BBHII"


def pad_auth_key(key: bytes) -> bytes:
    """The 8-octet, NUL-padded form of `auth_pass` used on the wire and as HMAC key.

    Longer keys are the config layer's business (keepalived truncates with a warning).
    """
    if len(key) > AUTH_KEY_LEN:
        raise ValueError(f"auth key is {len(key)} octets, at most {AUTH_KEY_LEN} fit")
    return key.ljust(AUTH_KEY_LEN, b"\x00")


@dataclass(frozen=True, slots=True)
class AhHeader:
    """The fixed AH header keepalived sends (RFC 2402 §2)."""

    next_header: int
    payload_len: int
    spi: int
    sequence: int
    icv: bytes

    def pack(self) -> bytes:
        fixed = struct.pack(
            _AH_FORMAT, self.next_header, self.payload_len, 0, self.spi, self.sequence
        )
        return fixed + self.icv


def unpack_header(payload: bytes) -> AhHeader:
    """Split the first 24 octets; the caller has checked the length."""
    next_header, payload_len, _reserved, spi, sequence = struct.unpack_from(_AH_FORMAT, payload)
    return AhHeader(next_header, payload_len, spi, sequence, bytes(payload[12:AH_HEADER_LEN]))


def _mutable_fields_zeroed(ip_header: bytes, *, zero_ttl: bool) -> bytes:
    """RFC 2402 §3.3.3.1.1 as keepalived applies it: TOS, flags/fragment, checksum (+TTL)."""
    header = bytearray(ip_header)
    header[1] = 0
    header[6:8] = b"\x00\x00"
    header[10:12] = b"\x00\x00"
    if zero_ttl:
        header[8] = 0
    return bytes(header)


def compute_icv(ip_header: bytes, ah_and_vrrp: bytes, key: bytes, *, zero_ttl: bool) -> bytes:
    """HMAC-MD5-96 over the header, the AH header (ICV zeroed) and the VRRP message."""
    # hashlib loads every built-in digest module (0.2 MiB): only in a daemon that uses AH
    import hashlib
    import hmac

    zeroed_ah = ah_and_vrrp[:12] + bytes(ICV_LEN) + ah_and_vrrp[AH_HEADER_LEN:]
    message = _mutable_fields_zeroed(ip_header, zero_ttl=zero_ttl) + zeroed_ah
    return hmac.new(pad_auth_key(key), message, hashlib.md5).digest()[:ICV_LEN]


def spi_for(source: IPv4Address) -> int:
    """keepalived's SPI: the source address, read as a network-order 32-bit number."""
    return int(source)


def seal(
    ip_header: bytes, vrrp_message: bytes, *, key: bytes, sequence: int, zero_ttl: bool
) -> bytes:
    """AH header + VRRP message, ICV computed over `ip_header` (which must count the AH)."""
    if not 0 <= sequence <= 0xFFFFFFFF:
        raise ValueError(f"AH sequence number {sequence} out of range")
    source = IPv4Address(ip_header[12:16])
    header = AhHeader(VRRP_PROTOCOL, AH_PAYLOAD_LEN, spi_for(source), sequence, bytes(ICV_LEN))
    unsigned = header.pack() + vrrp_message
    icv = compute_icv(ip_header, unsigned, key, zero_ttl=zero_ttl)
    return unsigned[:12] + icv + unsigned[AH_HEADER_LEN:]


def icv_matches(ip_header: bytes, payload: bytes, key: bytes, *, zero_ttl: bool) -> bool:
    expected = compute_icv(ip_header, payload, key, zero_ttl=zero_ttl)
    return same_secret(expected, payload[12:AH_HEADER_LEN])


def same_secret(a: bytes, b: bytes) -> bool:
    """hmac.compare_digest (constant time: a password or an ICV), with hmac imported at
    the first use: it loads every built-in digest module (0.2 MiB), which a daemon
    without authentication never needs."""
    import hmac

    return hmac.compare_digest(a, b)


@dataclass(slots=True)
class AhSequence:
    """keepalived's one anti-replay counter per instance, shared by send and receive.

    A master numbers its adverts from it; a backup raises it to each accepted sequence
    number, so the next master continues above what the LAN has already seen. A master
    hearing a lower-priority AH advert syncs to that number + 1.
    """

    last: int = 0
    cycled: bool = field(default=False)

    def next_to_send(self) -> int:
        """Sequence for the next transmitted advert (keepalived stops at 0xFFFFFFFD)."""
        if self.last > _SEQUENCE_LIMIT:
            self.cycled = True
        else:
            self.last += 1
        return self.last

    def accept(self, received: int) -> bool:
        """True and remember it if `received` is new; False for a replay (auth_failure)."""
        if received > self.last:
            self.last = received
            return True
        return False

    def sync_from_lower_priority(self, received: int) -> None:
        self.last = min(received + 1, 0xFFFFFFFF)
        self.cycled = False

    def on_become_master(self) -> None:
        """keepalived restarts numbering only if the counter had run out."""
        if self.cycled:
            self.cycled = False
            self.last = 0
