"""A frozen picture of the running VRRP side, taken at one instant, for dumps and status.

The dump renderers (`dumps.py`) and the status view must not reach into live, mutable
objects: a dump is written while the event loop keeps running, and a renderer that read
`VrrpInstance` directly could show a half-applied transition or be tempted to mutate it.
So the daemon takes one snapshot per signal (capture.py); everything after that is pure
text. These are the snapshot's value types.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pykeepalived.vrrp.params import State

#: keepalived's numeric states in the JSON dump (vrrp.h VRRP_STATE_*).
STATE_CODES = {State.INIT: 0, State.BACKUP: 1, State.MASTER: 2, State.FAULT: 3}

#: (config attribute, keepalived's dump word, JSON key), in keepalived's dump order.
NOTIFY_SLOTS = (
    ("notify_backup", "Backup", "script_backup"),
    ("notify_master", "Master", "script_master"),
    ("notify_fault", "Fault", "script_fault"),
    ("notify_stop", "Stop", "script_stop"),
    ("notify_deleted", "Deleted", "script_deleted"),
    ("notify", "Generic", "script"),
    ("notify_master_rx_lower_pri", "Master rx lower pri", "script_master_rx_lower_pri"),
)


@dataclass(frozen=True, slots=True)
class NotifyEntry:
    """One configured notify script, already in keepalived's quoted command form."""

    word: str
    json_key: str
    command: str


@dataclass(frozen=True, slots=True)
class TrackedScript:
    """A `track_script` entry of one instance with the weight that applies to it."""

    name: str
    command: str
    weight: int
    reverse: bool = False


@dataclass(frozen=True, slots=True)
class ScriptSnapshot:
    """One vrrp_script: its settings, keepalived's debounce reading and who tracks it."""

    name: str
    command: str
    interval_s: int
    timeout_s: int
    weight: int
    weight_reverse: bool
    rise: int
    fall: int
    result: int
    init_state: str
    #: keepalived's word: GOOD iff result >= rise
    status: str
    #: pykeepalived's tracker reading (init, init-reload, good, bad)
    tracker_state: str
    tracking: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class EpisodeSnapshot:
    """One split-brain episode (vrrp/split_brain.py), times as epoch seconds."""

    start: float
    end: float
    side: str
    ours: str
    our_priority: int
    peer: str
    peer_priority: int

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class InstanceSnapshot:
    """Everything keepalived shows of one vrrp_instance, plus the why of the last change."""

    name: str
    version: int
    family: int
    state: State
    wantstate: State
    interface: str | None
    vrid: int
    base_priority: int
    effective_priority: int
    adver_int_cs: int
    master_adver_int_cs: int
    master_router: str
    master_priority: int
    last_transition: float | None
    last_transition_reason: str
    read_timeout: float | None
    master_down_timer_us: int
    src_ip: str | None = None
    src_from_config: bool = False
    mcast_address: str = "224.0.0.18"
    sync_group: str | None = None
    unicast_peers: tuple[str, ...] = ()
    unicast_ttl: int | None = None
    #: use_vmac: the macvlan the instance runs on ("" without one, as keepalived)
    vmac_ifname: str = ""
    check_unicast_src: bool = False
    unicast_fault_no_peer: bool = False
    garp_delay_s: int = 5
    garp_repeat: int = 5
    garp_refresh_s: int = 0
    garp_refresh_repeat: int = 1
    garp_lower_prio_delay_s: int = 5
    garp_lower_prio_repeat: int = 5
    down_timer_adverts: int = 3
    lower_prio_no_advert: bool = False
    higher_prio_send_advert: bool = False
    accept: bool = True
    nopreempt: bool = False
    preempt_delay_s: float = 0.0
    promote_secondaries: bool = False
    dont_track_primary: bool = False
    skip_check_adv_addr: bool = False
    strict_mode: bool = False
    debug: int = 0
    #: keepalived's vrrp->flags has a bit set (its data dump then lists them)
    any_flag: bool = False
    #: (fd_in, fd_out) of the instance's sockets, None before they are open
    socket_fds: tuple[int, int] | None = None
    auth_type: int = 0
    auth_data: str = ""
    vipset: bool = False
    vips: tuple[str, ...] = ()
    evips: tuple[str, ...] = ()
    vroutes: tuple[str, ...] = ()
    vrules: tuple[str, ...] = ()
    track_interfaces: tuple[tuple[str, int], ...] = ()
    track_scripts: tuple[TrackedScript, ...] = ()
    smtp_alert: bool = False
    notify_deleted: bool = False
    notify_scripts: tuple[NotifyEntry, ...] = ()
    #: keepalived's 14 JSON counters, in its order
    stats: tuple[tuple[str, int], ...] = ()
    #: pykeepalived's extra counters (SNMP-only in keepalived, and our own)
    extra_stats: tuple[tuple[str, int], ...] = ()
    #: the last split-brain episodes, oldest first
    split_brain: tuple[EpisodeSnapshot, ...] = ()
    #: neighbour witnesses: (address, "up" | "down" | "unknown")
    witnesses: tuple[tuple[str, str], ...] = ()
    #: why the instance last refused to become MASTER ("" if it never did)
    refusal: str = ""
    #: the lease witness: key, held (yes/no), revision (the fencing token), holder, error
    lease: tuple[tuple[str, str], ...] = ()

    @property
    def state_code(self) -> int:
        return STATE_CODES[self.state]

    def stat(self, key: str) -> int:
        return dict(self.stats + self.extra_stats)[key]


@dataclass(frozen=True, slots=True)
class SchedulingSnapshot:
    """One process's scheduling settings (`vrrp_*` / `checker_*`), for the dump."""

    priority: int = 0
    no_swap: bool = False
    realtime_priority: int = 0
    cpu_affinity: tuple[int, ...] = ()
    rlimit_rt: int = 10000


@dataclass(frozen=True, slots=True)
class GlobalSnapshot:
    """The global_defs values the data dump shows (the rest are keepalived constants)."""

    router_id: str = ""
    default_interface: str = "eth0"
    dynamic_interfaces: bool = False
    vrrp_version: int = 2
    mcast_group4: str = "224.0.0.18"
    mcast_group6: str = "ff02::12"
    garp_delay_s: int = 5
    garp_repeat: int = 5
    garp_refresh_s: int = 0
    garp_refresh_repeat: int = 1
    garp_lower_prio_delay_s: int = 5
    garp_lower_prio_repeat: int = 5
    down_timer_adverts: int = 3
    lower_prio_no_advert: bool = False
    higher_prio_send_advert: bool = False
    garp_interval_us: int = 0
    gna_interval_us: int = 0
    check_unicast_src: bool = False
    skip_check_adv_addr: bool = False
    strict: bool = False
    max_auto_priority: int = 0
    min_auto_priority_delay_us: int = 1_000_000
    vrrp_scheduling: SchedulingSnapshot = field(default_factory=lambda: SchedulingSnapshot())
    checker_scheduling: SchedulingSnapshot = field(
        default_factory=lambda: SchedulingSnapshot())
    smtp_alert: bool | None = None
    enable_traps: bool = False
    script_security: bool = False


@dataclass(frozen=True, slots=True)
class TransitionRecord:
    """One state change as the daemon saw it: when (epoch), which instance, the why."""

    at: float
    instance: str
    old: str
    new: str
    reason: str


@dataclass(frozen=True, slots=True)
class DumpSnapshot:
    taken_at: float
    globals: GlobalSnapshot = field(default_factory=GlobalSnapshot)
    instances: tuple[InstanceSnapshot, ...] = ()
    scripts: tuple[ScriptSnapshot, ...] = ()
    #: the runtime's drops that belong to no instance (runtime.Runtime.counters)
    daemon_counters: tuple[tuple[str, int], ...] = ()
    #: the checker child's pid: `pykeepalived status` then waits for its document too
    checker_pid: int | None = None
    #: the last transitions, oldest first (bounded; the control socket and status show them)
    transitions: tuple[TransitionRecord, ...] = ()
    #: every transition since start by (instance, new state, reason): metrics count them
    transition_counts: tuple[tuple[str, str, str, int], ...] = ()
    #: daemon-wide operation counters by name (GARPs sent, notify and script runs, ...):
    #: `ops_counters.py` in daemon/ keeps them; metrics.py names each one it knows
    operations: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Clocks:
    """Both clocks, read once by the caller: converts core (monotonic) times to epoch."""

    wall_now: float
    mono_now: float

    def to_wall(self, monotonic: float | None) -> float | None:
        return None if monotonic is None else self.wall_now + (monotonic - self.mono_now)


def cmd_str(command: tuple[str, ...]) -> str:
    """keepalived's quoted form of a command: every word in single quotes, space-joined."""
    return " ".join(w if i == 0 and w[:1] in "<>" and w else f"'{w}'"
                    for i, w in enumerate(command))
