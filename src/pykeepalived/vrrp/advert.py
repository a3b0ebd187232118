"""The VRRP advertisement as a value: what the codec produces and the state machine consumes.

It is version-neutral on purpose. The interval is always kept in centiseconds (VRRPv3's
unit); a VRRPv2 advert's whole seconds are multiplied by 100, so timing arithmetic has one
unit. Wire details that only the codec cares about (checksum variant, AH sequence numbers)
do not live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from ipaddress import IPv4Address, IPv6Address

IPAddress = IPv4Address | IPv6Address

#: IANA protocol number for VRRP (RFC 5798 §5.1.1.4).
VRRP_PROTOCOL = 112
#: Multicast groups (RFC 5798 §5.1.1.2, §5.1.2.2); keepalived lets the config override them.
VRRP_GROUP_V4 = IPv4Address("224.0.0.18")
VRRP_GROUP_V6 = IPv6Address("ff02::12")
#: Adverts must be sent with TTL / hop limit 255 (RFC 5798 §5.1.1.3).
VRRP_TTL = 255


class AuthType(IntEnum):
    """VRRPv2 authentication types (RFC 2338 §5.3.6; RFC 3768 keeps only NONE)."""

    NONE = 0
    PASS = 1  # simple text password, 8 octets in the advert
    AH = 2  # IPsec AH, HMAC-MD5-96, as keepalived implements it


@dataclass(frozen=True, slots=True)
class Advertisement:
    """One VRRP ADVERTISEMENT, independent of its encoding.

    `interval_cs` is Max Adver Int for v3 and Adver Int x 100 for v2. `auth_data` is the
    8 octets of a v2 PASS advert (NUL padded) and empty otherwise.
    """

    version: int
    vrid: int
    priority: int
    interval_cs: int
    addresses: tuple[IPAddress, ...]
    auth_type: AuthType = AuthType.NONE
    auth_data: bytes = b""

