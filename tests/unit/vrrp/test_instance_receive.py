"""Receive validation (RFC 5798 §7.1 as keepalived's vrrp_check_packet applies it).

Each row: an advert that must be dropped, the counter keepalived bumps and its log line.
A dropped advert must never refresh a backup's down timer.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address

import pytest

from pykeepalived.vrrp.actions import Log, LogLevel
from pykeepalived.vrrp.advert import Advertisement, AuthType
from pykeepalived.vrrp.events import AdvertReceived, FaultChanged, PacketDropped, Startup
from pykeepalived.vrrp.instance import VrrpInstance
from pykeepalived.vrrp.params import State, UnicastPeer
from tests.unit.vrrp.instances import instance_params, started

VIP = IPv4Address("192.0.2.100")
VIP2 = IPv4Address("192.0.2.101")
PEER = IPv4Address("192.0.2.11")
STRANGER = IPv4Address("192.0.2.99")
DOWN = 3.609375

V2 = {"version": 2, "auth_type": AuthType.PASS, "auth_data": b"secret"}
UNICAST = {"unicast_peers": (UnicastPeer(PEER, min_ttl=250, max_ttl=255),),
           "check_unicast_src": True}


def backup(**kw: object) -> VrrpInstance:
    return started(**kw)


GOOD3 = Advertisement(3, 51, 150, 100, (VIP,))
GOOD2 = Advertisement(2, 51, 150, 100, (VIP,), AuthType.PASS, b"secret\0\0")

# (id, params, event, counter, log line); the id is also the receive tally's reason
DROPS = [
    ("ttl", {}, AdvertReceived(GOOD3, PEER, ttl=64), "ip_ttl_err",
     "(VI_1) invalid TTL/HL. Received 64 and expect 255"),
    ("version_mismatch", {}, AdvertReceived(replace(GOOD3, version=2), PEER), "vers_err",
     "(VI_1) wrong version. Received 2 and expect 3"),
    ("auth_type_mismatch", V2, AdvertReceived(replace(GOOD2, auth_type=AuthType.NONE), PEER),
     "authtype_mismatch", "(VI_1) received a 0 auth, expecting 1!"),
    ("auth_type_mismatch", V2, AdvertReceived(replace(GOOD2, auth_type=AuthType.AH), PEER),
     "authtype_mismatch", "(VI_1) Received AH header but auth type not AH"),
    ("auth_type_mismatch", {**V2, "auth_type": AuthType.AH}, AdvertReceived(GOOD2, PEER),
     "authtype_mismatch", "(VI_1) No AH header but auth type is AH"),
    ("auth", V2, AdvertReceived(replace(GOOD2, auth_data=b"wrong\0\0\0"), PEER),
     "auth_failure", "(VI_1) received an invalid passwd!"),
    ("interval_mismatch", V2, AdvertReceived(replace(GOOD2, interval_cs=200), PEER),
     "uncounted_drops", "(VI_1) advertisement interval mismatch mine=1 sec rcv'd=2 sec"),
    ("address_count_mismatch", {}, AdvertReceived(replace(GOOD3, addresses=(VIP, VIP2)), PEER),
     "addr_list_err", "(VI_1) received an unexpected ip number count 2, expected 1!"),
    ("address_missing", {}, AdvertReceived(replace(GOOD3, addresses=(VIP2,)), PEER),
     "addr_list_err",
     "(VI_1) ip address associated with VRID 51 not present in MASTER advert: 192.0.2.100"),
    ("cast_mismatch", {}, AdvertReceived(GOOD3, PEER, unicast=True), "addr_list_err",
     "(VI_1) Expected multicast packet but received unicast packet"),
    ("cast_mismatch", UNICAST, AdvertReceived(GOOD3, PEER, unicast=False),
     "addr_list_err", "(VI_1) Expected unicast packet but received multicast packet"),
    ("not_a_peer", UNICAST, AdvertReceived(GOOD3, STRANGER, unicast=True), "uncounted_drops",
     "(VI_1) unicast source address 192.0.2.99 not a unicast peer"),
    ("peer_ttl", UNICAST, AdvertReceived(GOOD3, PEER, ttl=64, unicast=True),
     "ip_ttl_err", "(VI_1) TTL/HL 64 not in range 250 - 255"),
]


@pytest.mark.parametrize(("reason", "params", "event", "counter", "line"), DROPS,
                         ids=[f"{row[0]}-{n}" for n, row in enumerate(DROPS)])
def test_dropped_advert_is_counted_logged_and_ignored(
    reason: str, params: dict[str, object], event: AdvertReceived, counter: str, line: str
):
    inst = backup(**params)
    dropped = replace(event, advert=replace(event.advert, priority=0))
    assert inst.handle(dropped, now=1.0) == [Log(line)]
    assert inst.handle(dropped, now=1.5) == [Log(line)]
    assert getattr(inst.stats, counter) == 2  # counted each time, not merely flagged
    assert inst.stats.rx_dropped == {reason: 2}
    assert inst.stats.rx_accepted == 0
    assert inst.stats.pri_zero_rcvd == 0
    assert inst.next_deadline() == DOWN  # not refreshed, not shortened to Skew_Time


def test_wrong_vrid_is_counted_at_debug_level():
    inst = backup()
    actions = inst.handle(AdvertReceived(replace(GOOD3, vrid=52), PEER), now=1.0)
    assert actions == [Log("(VI_1) advert for VRID 52 delivered to VRID 51 - ignoring",
                           LogLevel.DEBUG)]
    assert inst.stats.vrid_err == 1
    assert inst.stats.rx_dropped == {"vrid": 1}


def test_wrong_family_is_dropped():
    inst = backup()
    stranger = AdvertReceived(GOOD3, IPv6Address("2001:db8::1"))
    assert inst.handle(stranger, now=1.0) == [Log(
        "(VI_1) advert from 2001:db8::1 has the wrong address family - ignoring",
        LogLevel.DEBUG)]
    inst.handle(stranger, now=1.5)
    assert inst.stats.uncounted_drops == 2
    assert inst.stats.rx_dropped == {"family": 2}
    assert inst.next_deadline() == DOWN


def test_wrong_vrid_is_counted_each_time():
    inst = backup()
    for now in (1.0, 2.0):
        inst.handle(AdvertReceived(replace(GOOD3, vrid=52), PEER), now=now)
    assert inst.stats.vrid_err == 2


def test_priority_zero_adverts_are_counted_each_time():
    inst = backup()
    for now in (1.0, 1.1):
        inst.handle(AdvertReceived(replace(GOOD3, priority=0), PEER), now=now)
    assert inst.stats.pri_zero_rcvd == 2


@pytest.mark.parametrize("ttl", [250, 255, None])
def test_unicast_peer_ttl_window_is_inclusive(ttl: int | None):
    inst = backup(**UNICAST)
    assert inst.handle(AdvertReceived(GOOD3, PEER, ttl=ttl, unicast=True), now=1.0) == []
    assert inst.next_deadline() == 1.0 + DOWN


def test_check_unicast_src_is_moot_for_multicast():
    inst = backup(check_unicast_src=True)
    assert inst.handle(AdvertReceived(GOOD3, STRANGER), now=1.0) == []
    assert inst.stats.advert_rcvd == 1


def test_unicast_skips_ttl_check_without_check_unicast_src():
    inst = backup(unicast_peers=(UnicastPeer(PEER),))
    assert inst.handle(AdvertReceived(GOOD3, PEER, ttl=1, unicast=True), now=1.0) == []
    assert inst.next_deadline() == 1.0 + DOWN


def test_unknown_ttl_is_not_checked():
    inst = backup()
    assert inst.handle(AdvertReceived(GOOD3, PEER, ttl=None), now=1.0) == []


def test_good_v2_password_advert_is_accepted():
    inst = backup(**V2)
    assert inst.handle(AdvertReceived(GOOD2, PEER), now=1.0) == []
    assert inst.stats.advert_rcvd == 1
    assert inst.stats.rx_accepted == 1
    assert not inst.stats.rx_dropped
    assert inst.next_deadline() == 1.0 + DOWN


@pytest.mark.parametrize("octet", range(8))
def test_every_octet_of_an_eight_octet_password_counts(octet: int):
    # RFC 3768 §5.3.10: all 8 octets are compared (GOOD2's "secret" never fills octet 8)
    key = b"Pa55w0rd"
    other = key[:octet] + bytes([key[octet] ^ 0x01]) + key[octet + 1:]
    inst = backup(version=2, auth_type=AuthType.PASS, auth_data=key)
    advert = replace(GOOD2, auth_data=other)
    assert inst.handle(AdvertReceived(advert, PEER), now=1.0) == [
        Log("(VI_1) received an invalid passwd!")]
    assert inst.stats.auth_failure == 1
    assert inst.handle(AdvertReceived(replace(GOOD2, auth_data=key), PEER), now=2.0) == []
    assert inst.stats.advert_rcvd == 1


def test_skip_check_adv_addr_skips_the_list_for_the_same_master_only():
    inst = backup(skip_check_adv_addr=True)
    assert inst.handle(AdvertReceived(GOOD3, PEER), now=1.0) == []
    odd = AdvertReceived(replace(GOOD3, addresses=(VIP2,)), PEER)
    assert inst.handle(odd, now=2.0) == []  # same master: list not checked
    other = replace(odd, source=STRANGER)
    assert inst.handle(other, now=3.0) != []
    assert inst.stats.addr_list_err == 1


@pytest.mark.parametrize(
    ("reason", "counter"),
    [("length", "packet_len_err"), ("checksum", "chk_err"), ("version", "vers_err"),
     ("type", "invalid_type_rcvd"), ("auth_type", "invalid_authtype"),
     ("auth", "auth_failure"), ("address_count", "packet_len_err"), ("garbage", "malformed")],
)
def test_codec_drops_land_in_the_same_stats(reason: str, counter: str):
    inst = backup()
    inst.handle(PacketDropped(reason), now=1.0)
    assert getattr(inst.stats, counter) == 1
    assert inst.stats.rx_dropped == {reason: 1}
    assert inst.next_deadline() == DOWN


def test_keepalived_json_keys_in_order():
    keys = list(backup().stats.keepalived_json())
    assert keys == ["advert_rcvd", "advert_sent", "become_master", "release_master",
                    "packet_len_err", "advert_interval_err", "ip_ttl_err", "invalid_type_rcvd",
                    "addr_list_err", "invalid_authtype", "authtype_mismatch", "auth_failure",
                    "pri_zero_rcvd", "pri_zero_sent"]


@pytest.mark.parametrize("fault", [False, True])
def test_adverts_heard_in_init_or_fault_are_tallied_not_running(fault: bool):
    """keepalived ignores them without a word; the tally still accounts for each one."""
    inst = VrrpInstance(instance_params())
    if fault:
        inst.handle(FaultChanged(True, "link"), now=0.0)
        inst.handle(Startup(), now=0.0)
        assert inst.state is State.FAULT
    else:
        assert inst.state is State.INIT
    assert inst.handle(AdvertReceived(GOOD3, PEER), now=1.0) == []
    assert inst.stats.rx_dropped == {"not_running": 1}
    assert inst.stats.advert_rcvd == 0


def test_rx_tally_lists_accepted_and_each_reason_seen():
    inst = backup()
    inst.handle(AdvertReceived(GOOD3, PEER), now=1.0)
    inst.handle(AdvertReceived(GOOD3, PEER, ttl=1), now=1.1)
    inst.handle(PacketDropped("checksum"), now=1.2)
    inst.handle(PacketDropped("checksum"), now=1.3)
    assert inst.stats.rx_tally() == (("rx_accepted", 1), ("rx_dropped_checksum", 2),
                                     ("rx_dropped_ttl", 1))
