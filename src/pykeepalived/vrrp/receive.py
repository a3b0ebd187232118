"""Receive validation of a decoded advert, in keepalived's order and with its counters.

The codec (packet.py) has already judged the wire: length, checksum, type, version
field sanity. What is left needs the instance's settings: TTL, VRID, version, v2
authentication and interval, the address list, unicast/multicast and the unicast peer
list (RFC 5798 §7.1 as keepalived 2.2.7's vrrp_check_packet applies it). A failed check
returns the log line and bumps the counter keepalived bumps, and records its own reason
in the instance's receive tally (`stats.refuse`, the names below), so that every advert
is counted once even where keepalived counts nothing; a dropped advert never refreshes a
backup's down timer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.vrrp import messages as msg
from pykeepalived.vrrp.actions import Log, LogLevel
from pykeepalived.vrrp.advert import VRRP_TTL, AuthType, IPAddress
from pykeepalived.vrrp.ah import same_secret

if TYPE_CHECKING:
    from pykeepalived.vrrp.events import AdvertReceived
    from pykeepalived.vrrp.params import InstanceParams, UnicastPeer
    from pykeepalived.vrrp.stats import InstanceStats

PASSWORD_LEN = 8


def check_advert(
    params: InstanceParams, stats: InstanceStats, event: AdvertReceived, check_addresses: bool
) -> Log | None:
    """None when the advert may be processed; else the log line saying why not.

    `check_addresses` is false only on a backup with `skip_check_adv_addr` that hears
    the master it already accepted (keepalived skips the list and peer checks then).
    """
    for check in (_check_identity, _check_ttl, _check_version, _check_auth, _check_interval):
        refused = check(params, stats, event)
        if refused is not None:
            return _about(refused, event)
    refused = _check_lists(params, stats, event, check_addresses)
    if refused is None:
        stats.rx_accepted += 1
        if event.advert.priority == 0:
            stats.pri_zero_rcvd += 1
        return None
    return _about(refused, event)


def _about(line: Log, event: AdvertReceived) -> Log:
    return Log(line.message, line.level, packet_from=str(event.source))


def _info(text: str) -> Log:
    return Log(text, LogLevel.INFO)


def _check_identity(p: InstanceParams, s: InstanceStats, e: AdvertReceived) -> Log | None:
    if e.advert.vrid != p.vrid:
        s.vrid_err += 1
        s.refuse("vrid")
        return Log(msg.wrong_vrid(p.name, e.advert.vrid, p.vrid), LogLevel.DEBUG)
    if e.source.version != p.family:
        s.uncounted_drops += 1
        s.refuse("family")
        return Log(msg.wrong_family(p.name, e.source), LogLevel.DEBUG)
    return None


def _check_ttl(p: InstanceParams, s: InstanceStats, e: AdvertReceived) -> Log | None:
    if not p.unicast and e.ttl is not None and e.ttl != VRRP_TTL:
        s.ip_ttl_err += 1
        s.refuse("ttl")
        return _info(msg.invalid_ttl(p.name, e.ttl))
    return None


def _check_version(p: InstanceParams, s: InstanceStats, e: AdvertReceived) -> Log | None:
    if e.advert.version != p.version:
        s.vers_err += 1
        s.refuse("version_mismatch")
        return _info(msg.wrong_version(p.name, e.advert.version, p.version))
    return None


def _check_auth(p: InstanceParams, s: InstanceStats, e: AdvertReceived) -> Log | None:
    if p.version != 2:
        return None
    got, want = e.advert.auth_type, p.auth_type
    if (got is AuthType.AH) != (want is AuthType.AH):
        s.authtype_mismatch += 1
        s.refuse("auth_type_mismatch")
        return _info(msg.ah_unexpected(p.name) if got is AuthType.AH else msg.ah_missing(p.name))
    if got != want:
        s.authtype_mismatch += 1
        s.refuse("auth_type_mismatch")
        return _info(msg.auth_type_mismatch(p.name, int(got), int(want)))
    if want is AuthType.PASS and not same_secret(
        _padded(e.advert.auth_data), _padded(p.auth_data)
    ):
        s.auth_failure += 1
        s.refuse("auth")
        return _info(msg.invalid_password(p.name))
    # AuthType.AH: the HMAC is verified by the AH codec, which reports PacketDropped("auth").
    return None


def _padded(password: bytes) -> bytes:
    return password[:PASSWORD_LEN].ljust(PASSWORD_LEN, b"\0")


def _check_interval(p: InstanceParams, s: InstanceStats, e: AdvertReceived) -> Log | None:
    # v2 only; keepalived drops without bumping advert_interval_err (it never does in 2.2.7).
    if p.version == 2 and e.advert.interval_cs != p.advert_int_cs:
        s.uncounted_drops += 1
        s.refuse("interval_mismatch")
        return _info(msg.interval_mismatch(p.name, p.advert_int_cs // 100,
                                           e.advert.interval_cs // 100))
    return None


def _check_lists(
    p: InstanceParams, s: InstanceStats, e: AdvertReceived, check_addresses: bool
) -> Log | None:
    received = e.advert.addresses
    if check_addresses and len(received) != len(p.virtual_addresses):
        s.addr_list_err += 1
        s.refuse("address_count_mismatch")
        return _info(msg.address_count(p.name, len(received), len(p.virtual_addresses)))
    if e.unicast != p.unicast:
        s.addr_list_err += 1
        s.refuse("cast_mismatch")
        return _info(msg.cast_mismatch(p.name, p.unicast))
    s.advert_rcvd += 1
    if not check_addresses:
        return None
    for address in p.virtual_addresses:
        if address not in received:
            s.addr_list_err += 1
            s.refuse("address_missing")
            return _info(msg.address_missing(p.name, p.vrid, address))
    if p.unicast and p.check_unicast_src:
        return _check_peer(p, s, e)
    return None


def _check_peer(p: InstanceParams, s: InstanceStats, e: AdvertReceived) -> Log | None:
    peer = _find_peer(p.unicast_peers, e.source)
    if peer is None:
        s.uncounted_drops += 1
        s.refuse("not_a_peer")
        return _info(msg.not_a_peer(p.name, e.source))
    if e.ttl is not None and not peer.min_ttl <= e.ttl <= peer.max_ttl:
        s.ip_ttl_err += 1
        s.refuse("peer_ttl")
        return _info(msg.ttl_out_of_range(p.name, e.ttl, peer.min_ttl, peer.max_ttl))
    return None


def _find_peer(peers: tuple[UnicastPeer, ...], source: IPAddress) -> UnicastPeer | None:
    return next((peer for peer in peers if peer.address == source), None)
