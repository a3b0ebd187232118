"""Per-instance counters, named as keepalived's JSON stats so exporters can read them.

The first fourteen fields are keepalived's `stats{}` keys in its order; the rest are the
RFC 6527 counters keepalived keeps only for SNMP, plus what the project adds: a counter for
drops keepalived does not count, the why and when of the last transition, and a receive
tally that counts every packet for this instance exactly once.

keepalived's counters overlap (an advert with a missing address bumps both advert_rcvd
and addr_list_err) and miss some drops, so they cannot say whether every packet was
accounted for. `rx_accepted` + the sum of `rx_dropped` can: it equals the packets that
reached this instance's core, whatever happened to them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields

#: keepalived's JSON `stats` keys, in its order.
KEEPALIVED_STATS_KEYS = (
    "advert_rcvd", "advert_sent", "become_master", "release_master", "packet_len_err",
    "advert_interval_err", "ip_ttl_err", "invalid_type_rcvd", "addr_list_err",
    "invalid_authtype", "authtype_mismatch", "auth_failure", "pri_zero_rcvd", "pri_zero_sent",
)

#: PacketDropped reasons from the codec, mapped to the counter keepalived bumps.
CODEC_DROP_COUNTERS = {
    "length": "packet_len_err",
    "checksum": "chk_err",
    "version": "vers_err",
    "type": "invalid_type_rcvd",
    "auth_type": "invalid_authtype",
    "auth_type_mismatch": "authtype_mismatch",
    "auth": "auth_failure",
    # keepalived derives the expected length from the count: a bad count is a length error
    "address_count": "packet_len_err",
    "ttl": "ip_ttl_err",
    "no_addresses": "addr_list_err",
    "interval_zero": "advert_interval_err",
}


@dataclass(slots=True)
class InstanceStats:
    """Mutable counters owned by one instance; read them, never write them from outside."""

    advert_rcvd: int = 0
    advert_sent: int = 0
    become_master: int = 0
    release_master: int = 0
    packet_len_err: int = 0
    advert_interval_err: int = 0
    ip_ttl_err: int = 0
    invalid_type_rcvd: int = 0
    addr_list_err: int = 0
    invalid_authtype: int = 0
    authtype_mismatch: int = 0
    auth_failure: int = 0
    pri_zero_rcvd: int = 0
    pri_zero_sent: int = 0
    # SNMP-only in keepalived (RFC 6527)
    chk_err: int = 0
    vers_err: int = 0
    vrid_err: int = 0
    # pykeepalived additions
    #: adverts dropped with no keepalived counter (v2 interval mismatch, unknown peer)
    uncounted_drops: int = 0
    malformed: int = 0
    last_transition: float | None = None
    last_transition_reason: str = ""
    #: adverts that passed every receive check and reached the state machine
    rx_accepted: int = 0
    #: split-brain episodes (another MASTER heard while MASTER), each counted once
    split_brain_episodes: int = 0
    #: every other packet for this instance, once, by why: the codec's DropReason values,
    #: receive.py's refusals, "not_running" (heard in INIT or FAULT)
    rx_dropped: Counter[str] = field(default_factory=Counter)

    def count_codec_drop(self, reason: str) -> None:
        name = CODEC_DROP_COUNTERS.get(reason, "malformed")
        setattr(self, name, getattr(self, name) + 1)
        self.rx_dropped[reason] += 1

    def refuse(self, reason: str) -> None:
        """One packet for this instance dropped after decoding (receive checks, state)."""
        self.rx_dropped[reason] += 1

    def rx_tally(self) -> tuple[tuple[str, int], ...]:
        """`rx_accepted` and one `rx_dropped_<reason>` per reason seen, for read-outs."""
        dropped = tuple((f"rx_dropped_{reason}", count)
                        for reason, count in sorted(self.rx_dropped.items()))
        return (("rx_accepted", self.rx_accepted), *dropped)

    def keepalived_json(self) -> dict[str, int]:
        """The `stats` object of keepalived's JSON dump, same keys, same order."""
        return {key: getattr(self, key) for key in KEEPALIVED_STATS_KEYS}

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
