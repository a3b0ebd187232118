"""The frozen, already-validated settings one VRRP instance runs with, and its states.

The config layer turns keepalived.conf (globals merged into each instance) into one
`InstanceParams`; `__post_init__` only refuses values the core cannot run with, and raises
ValueError naming the field, never a bare traceback from deep inside the state machine.

keepalived's `nopreempt` and `preempt_delay` are cleared when the initial state is MASTER
(vrrp_complete_instance). The config layer owns the warning text; the rule itself lives
here, in `effective_nopreempt` / `effective_preempt_delay`, so the core can never apply a
setting keepalived would have ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address

from pykeepalived.constants import PRIORITY_OWNER
from pykeepalived.vrrp.advert import AuthType, IPAddress
from pykeepalived.vrrp.timing import DOWN_TIMER_ADVERTS


class State(StrEnum):
    """VRRP states (RFC 5798 §6.4) plus keepalived's internal FAULT."""

    INIT = "INIT"
    BACKUP = "BACKUP"
    MASTER = "MASTER"
    FAULT = "FAULT"


@dataclass(frozen=True, slots=True)
class UnicastPeer:
    """A `unicast_peer` entry; the TTL window is only checked with `check_unicast_src`."""

    address: IPAddress
    min_ttl: int = 0
    max_ttl: int = 255


@dataclass(frozen=True, slots=True)
class GarpParams:
    """Gratuitous ARP / unsolicited NA settings, keepalived's defaults (seconds, counts)."""

    master_delay: float = 5.0
    master_repeat: int = 5
    master_refresh: float = 0.0
    refresh_repeat: int = 1
    lower_prio_delay: float = 5.0
    lower_prio_repeat: int = 5


@dataclass(frozen=True, slots=True)
class InstanceParams:
    """Everything a `VrrpInstance` needs; defaults are keepalived 2.2.7's."""

    name: str
    vrid: int
    version: int = 2
    family: int = 4
    priority: int = 100
    advert_int_cs: int = 100
    virtual_addresses: tuple[IPAddress, ...] = ()
    primary_address: IPAddress | None = None
    preempt: bool = True
    preempt_delay: float = 0.0
    accept: bool = True
    auth_type: AuthType = AuthType.NONE
    auth_data: bytes = b""
    unicast_peers: tuple[UnicastPeer, ...] = ()
    check_unicast_src: bool = False
    skip_check_adv_addr: bool = False
    lower_prio_no_advert: bool = False
    higher_prio_send_advert: bool = False
    #: pykeepalived's own: a master that took over from a silent master and now hears it
    #: again sends one advert at its own priority before yielding (as
    #: higher_prio_send_advert would), so the winner hears the other master and re-sends
    #: its gratuitous ARPs / NAs and notify_master_rx_lower_pri (split-brain healing)
    split_brain_announce: bool = False
    #: pykeepalived's own: neighbour witnesses are configured (vrrp/witness.py); the
    #: instance then never becomes MASTER while none is reachable and no peer is heard
    witness: bool = False
    #: pykeepalived's own lease witness (etcd): MASTER only while holding the key
    lease: bool = False
    #: the lease witness not serving: "vrrp" (VRRP alone decides) or "release"
    lease_unreachable: str = "vrrp"
    down_timer_adverts: int = DOWN_TIMER_ADVERTS
    garp: GarpParams = field(default_factory=GarpParams)
    strict_mode: bool = False
    #: None: derived as keepalived does (MASTER iff priority 255).
    initial_state: State | None = None
    #: True when the config said `state MASTER` (kept for status output).
    state_master_configured: bool = False
    #: An owner (priority 255) wanting MASTER takes over at Startup, without an
    #: "Entering BACKUP STATE (init)" step. keepalived 2.2.7 does the same in effect
    #: (vrrp_init_state arms a 1 µs down timer); False makes the owner start as a
    #: normal backup and wait a full Master_Down_Interval.
    owner_immediate_master: bool = True

    def __post_init__(self) -> None:
        _require(bool(self.name), "name", "must not be empty")
        _require(1 <= self.vrid <= 255, "vrid", f"must be 1..255, not {self.vrid}")
        _require(self.version in (2, 3), "version", f"must be 2 or 3, not {self.version}")
        _require(self.family in (4, 6), "family", f"must be 4 or 6, not {self.family}")
        _require(self.family == 4 or self.version == 3, "version", "IPv6 needs VRRPv3")
        _require(1 <= self.priority <= 255, "priority", f"must be 1..255, not {self.priority}")
        _check_interval(self.version, self.advert_int_cs)
        _require(
            1 <= self.down_timer_adverts <= 100, "down_timer_adverts", "must be 1..100"
        )
        _require(0 <= self.preempt_delay <= 1000, "preempt_delay", "must be 0..1000 s")
        _require(len(self.virtual_addresses) <= 255, "virtual_addresses", "at most 255")
        _require(self.initial_state in (None, State.MASTER, State.BACKUP), "initial_state",
                 "must be MASTER or BACKUP")
        wanted = IPv4Address if self.family == 4 else IPv6Address
        for address in self.virtual_addresses:
            _require(isinstance(address, wanted), "virtual_addresses",
                     f"{address} is not IPv{self.family}")

    @property
    def wanted_initial_state(self) -> State:
        """keepalived: an unset `state` means MASTER for the owner, BACKUP otherwise."""
        if self.initial_state is not None:
            return self.initial_state
        return State.MASTER if self.priority == PRIORITY_OWNER else State.BACKUP

    @property
    def is_owner(self) -> bool:
        return self.priority == PRIORITY_OWNER

    @property
    def unicast(self) -> bool:
        return bool(self.unicast_peers)

    @property
    def effective_nopreempt(self) -> bool:
        """nopreempt only works from initial BACKUP and never for the owner."""
        return (
            not self.preempt
            and self.wanted_initial_state is State.BACKUP
            and not self.is_owner
        )

    @property
    def effective_preempt_delay(self) -> float:
        """preempt_delay is cleared by initial MASTER, nopreempt and strict mode."""
        if self.wanted_initial_state is State.MASTER or not self.preempt or self.strict_mode:
            return 0.0
        return self.preempt_delay


def _check_interval(version: int, interval_cs: int) -> None:
    if version == 2:
        _require(interval_cs % 100 == 0 and 100 <= interval_cs <= 25500, "advert_int_cs",
                 f"VRRPv2 needs whole seconds 1..255, not {interval_cs} cs")
    else:
        _require(1 <= interval_cs <= 4095, "advert_int_cs",
                 f"VRRPv3 needs 1..4095 cs, not {interval_cs}")


def _require(ok: bool, name: str, message: str) -> None:
    if not ok:
        raise ValueError(f"InstanceParams.{name}: {message}")
