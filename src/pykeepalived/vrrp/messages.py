"""Every log line the VRRP core emits, in keepalived 2.2.7's words, in one place.

Operators and exporters grep these lines, so the wording (including keepalived's
capitalisation and punctuation) is part of the interface. Each function names the
keepalived source it matches; the text was checked against keepalived's vrrp.c,
vrrp_scheduler.c, vrrp_sync.c and vrrp_track.c at tag v2.2.7. Lines that are
pykeepalived's own are marked so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.vrrp.advert import IPAddress


def entering_state(name: str, state: str) -> str:
    """vrrp_state_leave_master / vrrp_state_master_tx / vrrp_state_leave_fault."""
    return f"({name}) Entering {state} STATE"


def entering_state_init(name: str, state: str) -> str:
    """vrrp_init_state: the first transition at startup."""
    return f"({name}) Entering {state} STATE (init)"


def receive_timeout(name: str) -> str:
    return f"({name}) Receive advertisement timeout"


def setting_vips(name: str) -> str:
    return f"({name}) setting VIPs."


def removing_vips(name: str) -> str:
    return f"({name}) removing VIPs."


def sent_zero_priority(name: str) -> str:
    return f"({name}) sent 0 priority"


def backup_received_zero(name: str) -> str:
    return f"({name}) Backup received priority 0 advertisement"


def master_received_zero(name: str) -> str:
    return f"({name}) Master received priority 0 message"


def lower_priority_discarding(name: str, priority: int, source: IPAddress) -> str:
    return f"({name}) received lower priority ({priority}) advert from {source} - discarding"


def master_lower_priority(
    name: str, source: IPAddress, priority: int, ours: int, forcing: bool
) -> str:
    tail = ", forcing new election" if forcing else ""
    return (
        f"({name}) Received advert from {source} with lower priority {priority}, "
        f"ours {ours}{tail}"
    )


def master_higher_priority(name: str, source: IPAddress, priority: int, ours: int) -> str:
    return (
        f"({name}) Master received advert from {source} with higher priority "
        f"{priority}, ours {ours}"
    )


def master_same_priority_higher_ip(name: str, source: IPAddress, priority: int) -> str:
    return (
        f"({name}) Master received advert from {source} with same priority {priority} "
        "but higher IP address than ours"
    )


def equal_priority_our_address(name: str) -> str:
    return (
        f"({name}) WARNING - equal priority advert received from remote host "
        "with our IP address."
    )


def both_owners(name: str) -> str:
    return (
        f"({name}) CONFIGURATION ERROR: local instance and a remote instance are both "
        "configured as address owner, please fix - reducing local priority"
    )


def interval_updated(name: str, old_cs: int, new_cs: int) -> str:
    return (
        f"({name}) advertisement interval updated from {old_cs * 10}ms to "
        f"{new_cs * 10}ms by master"
    )


def interval_back_to_local(name: str, old_cs: int, new_cs: int) -> str:
    return (
        f"({name}) changing advert interval from {old_cs * 10}ms to locally "
        f"configured {new_cs * 10}ms"
    )


def start_preempt_delay(name: str, delay_s: float) -> str:
    micros = round(delay_s * 1_000_000)
    return f"({name}) start preempt delay ({micros // 1_000_000}.{micros % 1_000_000:06d})"


def stop_preempt_delay(name: str) -> str:
    return f"({name}) stop preempt delay"


# --- receive checks (vrrp_check_packet) -------------------------------------------------


def invalid_ttl(name: str, ttl: int) -> str:
    return f"({name}) invalid TTL/HL. Received {ttl} and expect 255"


def ttl_out_of_range(name: str, ttl: int, low: int, high: int) -> str:
    return f"({name}) TTL/HL {ttl} not in range {low} - {high}"


def wrong_version(name: str, received: int, expected: int) -> str:
    return f"({name}) wrong version. Received {received} and expect {expected}"


def ah_unexpected(name: str) -> str:
    return f"({name}) Received AH header but auth type not AH"


def ah_missing(name: str) -> str:
    return f"({name}) No AH header but auth type is AH"


def auth_type_mismatch(name: str, received: int, expected: int) -> str:
    return f"({name}) received a {received} auth, expecting {expected}!"


def invalid_password(name: str) -> str:
    return f"({name}) received an invalid passwd!"


def interval_mismatch(name: str, mine_s: int, received_s: int) -> str:
    return (
        f"({name}) advertisement interval mismatch mine={mine_s} sec "
        f"rcv'd={received_s} sec"
    )


def address_count(name: str, received: int, expected: int) -> str:
    return f"({name}) received an unexpected ip number count {received}, expected {expected}!"


def address_missing(name: str, vrid: int, address: IPAddress) -> str:
    return (
        f"({name}) ip address associated with VRID {vrid} not present in MASTER "
        f"advert: {address}"
    )


def cast_mismatch(name: str, unicast_instance: bool) -> str:
    expected, got = ("un", "mult") if unicast_instance else ("mult", "un")
    return f"({name}) Expected {expected}icast packet but received {got}icast packet"


def not_a_peer(name: str, source: IPAddress) -> str:
    return f"({name}) unicast source address {source} not a unicast peer"


def wrong_vrid(name: str, received: int, expected: int) -> str:
    """pykeepalived's own: keepalived's dispatcher routes by VRID before the instance."""
    return f"({name}) advert for VRID {received} delivered to VRID {expected} - ignoring"


def wrong_family(name: str, source: IPAddress) -> str:
    """pykeepalived's own: the socket layer keeps families apart in keepalived."""
    return f"({name}) advert from {source} has the wrong address family - ignoring"


def codec_drop(name: str, reason: str) -> str:
    """pykeepalived's own summary; the codec logs the keepalived wording itself."""
    return f"({name}) dropped malformed packet: {reason}"


# --- sync groups (vrrp_sync.c) --------------------------------------------------------


def group_syncing(group: str, state: str) -> str:
    return f"VRRP_Group({group}) Syncing instances to {state} state"


# --- split brain (pykeepalived's own) ---------------------------------------------------

#: the reason of a FAULT for isolation (neighbour witness): no peer heard, no witness
ISOLATED = "isolated: no peer, no witness"


def split_brain(name: str, ours: IPAddress | None, our_priority: int, peer: IPAddress,
                peer_priority: int, *, kept: bool) -> str:
    """pykeepalived's own, once per episode: both masters, and who keeps the VIP."""
    outcome = "we stay MASTER" if kept else "we yield to it"
    return (
        f"({name}) split brain: {peer} (priority {peer_priority}) is MASTER too, "
        f"ours {ours or 'unknown'} (priority {our_priority}); {outcome} (RFC 5798 6.4.3)"
    )
