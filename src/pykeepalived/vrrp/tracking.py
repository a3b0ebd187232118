"""Tracking arithmetic: what keepalived's trackers do to an instance's priority and FAULT state.

Two pieces, both pure. `ScriptTracker` is one `vrrp_script`'s rise/fall debounce, a
counter kept exactly as keepalived 2.2.7 keeps it (vrrp_scheduler.c), so that the first
result, `init_fail` and reload inheritance behave the same. `PriorityTracker` is one
instance's view of all its trackers (scripts, interfaces, files, processes) with their
per-instance weights; it turns a tracker's new reading into the `PriorityChanged` /
`FaultChanged` events the instance consumes, plus keepalived's log lines.

Where keepalived applies weights as deltas on every transition (vrrp_track.c), this module
recomputes the sum from the current readings. The two agree in every steady state except
one keepalived quirk: at startup an `init_fail` script with a negative *reversed* weight is
added without its reverse multiplier. We use the consistent value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from pykeepalived.constants import PRIORITY_OWNER
from pykeepalived.vrrp.events import FaultChanged, PriorityChanged

if TYPE_CHECKING:
    from collections.abc import Iterable

#: Effective priorities of non-owners stay inside [1, 254] whatever the weights say.
MIN_EFFECTIVE = 1
MAX_EFFECTIVE = 254
#: A track_file result at or below this puts the instance in FAULT (keepalived: "< -253").
FILE_FAULT_AT = -254
FILE_MAX_ADJUST = 253


class ScriptStatus(Enum):
    """What a vrrp_script currently says, as the instances tracking it see it."""

    INIT = "init"  # no result yet since startup: weight-0 trackers hold the instance down
    INIT_RELOAD = "init-reload"  # added by a reload, no result yet: holds nothing down
    GOOD = "good"
    BAD = "bad"

    @property
    def ok(self) -> bool | None:
        if self is ScriptStatus.GOOD:
            return True
        if self is ScriptStatus.BAD:
            return False
        return None


class _Init(Enum):
    """keepalived's script init_state: how the first result is treated."""

    INIT = "init"
    INIT_RELOAD = "init-reload"
    FAILED = "failed"  # `init_fail`
    DONE = "done"


@dataclass(frozen=True, slots=True)
class ScriptResult:
    """One finished run of a track script, as the adapter observed it."""

    exit_status: int | None = None
    signal: int | None = None  # killed by a signal we did not send
    timed_out: bool = False  # we had to terminate it

    @classmethod
    def exited(cls, status: int) -> ScriptResult:
        return cls(exit_status=status)

    @classmethod
    def killed(cls, signal: int) -> ScriptResult:
        return cls(signal=signal)

    @classmethod
    def timeout(cls) -> ScriptResult:
        return cls(timed_out=True)

    @property
    def success(self) -> bool:
        return self.exit_status == 0 and not self.timed_out and self.signal is None

    def verdict_words(self) -> str:
        """The tail of keepalived's `VRRP_Script(NAME) ...` line for this result."""
        if self.success:
            return "succeeded"
        if self.timed_out:
            return "timed_out"
        if self.signal is not None:
            return f"failed (due to signal {self.signal})"
        return f"failed (exited with status {self.exit_status})"


@dataclass(frozen=True, slots=True)
class ScriptVerdict:
    """What one result did: the new status if it flipped, and the log lines to emit."""

    status: ScriptStatus
    changed: bool
    logs: tuple[str, ...]


class ScriptTracker:
    """A vrrp_script's rise/fall debounce, with keepalived's counter.

    keepalived keeps one integer `result` in [0, rise + fall - 1]: the script is GOOD when
    result >= rise. A success below rise - 1 climbs by one; the success that reaches rise
    jumps straight to the top. A failure above rise steps down by one; the failure at rise
    (or any failure before the first verdict) drops to 0. So from steady GOOD it takes
    `fall` failures to turn BAD and from steady BAD `rise` successes to turn GOOD, but
    before the first result the counter sits at rise - 1: one result of either kind decides.
    """

    def __init__(
        self,
        name: str,
        *,
        rise: int = 1,
        fall: int = 1,
        init_fail: bool = False,
        added_by_reload: bool = False,
    ) -> None:
        if rise < 1 or fall < 1:
            raise ValueError(f"VRRP_Script({name}): rise and fall must be >= 1")
        self.name = name
        self.rise = rise
        self.fall = fall
        self._last_status = 0  # keepalived zero-allocates it: a first 0 is not "now returning"
        if init_fail:
            self._init, self._result = _Init.FAILED, 0
        else:
            self._init = _Init.INIT_RELOAD if added_by_reload else _Init.INIT
            self._result = rise - 1

    @property
    def result(self) -> int:
        """keepalived's rise/fall counter, in [0, rise + fall - 1] (its dump's `Result`)."""
        return self._result

    @property
    def status(self) -> ScriptStatus:
        if self._init is _Init.INIT:
            return ScriptStatus.INIT
        if self._init is _Init.INIT_RELOAD:
            return ScriptStatus.INIT_RELOAD
        return ScriptStatus.GOOD if self._result >= self.rise else ScriptStatus.BAD

    def record(self, result: ScriptResult) -> ScriptVerdict:
        """Feed one finished run; the verdict says whether the instances must hear of it."""
        before = self.status
        logs: list[str] = []
        if result.exit_status is not None and result.exit_status != self._last_status:
            logs.append(f"Script `{self.name}` now returning {result.exit_status}")
        if result.exit_status is not None:
            self._last_status = result.exit_status
        flipped = self._count_success() if result.success else self._count_failure()
        self._init = _Init.DONE
        if flipped:
            logs.append(f"VRRP_Script({self.name}) {result.verdict_words()}")
        after = self.status
        return ScriptVerdict(status=after, changed=flipped or after is not before, logs=tuple(logs))

    def _count_success(self) -> bool:
        top = self.rise + self.fall - 1
        if self._result < self.rise - 1:
            self._result += 1
            return False
        if self._result == top:
            return False
        flipped = self._result < self.rise
        self._result = top
        return flipped

    def _count_failure(self) -> bool:
        if self._result > self.rise:
            self._result -= 1
            return False
        first = self._init in (_Init.INIT, _Init.INIT_RELOAD)
        flipped = self._result == self.rise or first
        self._result = 0
        return flipped

    def reloaded(self, *, rise: int, fall: int) -> tuple[ScriptTracker, tuple[str, ...]]:
        """The same script after a reload with new rise/fall: keeps its verdict.

        A script still waiting for its first result starts over; otherwise the counter is
        mapped so the distance to the next flip is kept where the new limits allow.
        """
        new = ScriptTracker(self.name, rise=rise, fall=fall)
        if self._init is _Init.INIT:
            return new, ()
        if self._init is _Init.INIT_RELOAD:
            new._init = _Init.INIT_RELOAD
            return new, ()
        new._last_status, new._init = self._last_status, _Init.DONE
        if self._result < self.rise:
            new._result = 0 if self._result == 0 else max(0, rise - (self.rise - self._result))
            return new, (f"VRRP_Script({self.name}) considered unsuccessful on reload",)
        old_top, new_top = self.rise + self.fall - 1, rise + fall - 1
        shifted = rise + (self._result - self.rise)
        new._result = new_top if self._result == old_top else min(shifted, new_top)
        return new, (f"VRRP_Script({self.name}) considered successful on reload",)


class TrackKind(Enum):
    SCRIPT = "script"
    INTERFACE = "interface"
    FILE = "file"
    PROCESS = "process"


@dataclass(frozen=True, slots=True)
class TrackSpec:
    """One tracker as one instance tracks it (per-instance weight override applied)."""

    kind: TrackKind
    name: str
    weight: int = 0
    reverse: bool = False


Reading = ScriptStatus | bool | int


@dataclass(frozen=True, slots=True)
class Effect:
    """A tracker's contribution to one instance: a priority shift, or a FAULT reason."""

    adjust: int = 0
    fault: str | None = None


def weighted_adjustment(weight: int, reverse: bool, ok: bool | None) -> int:
    """±weight for a boolean tracker: positive weights count while OK, negative while not."""
    if weight == 0 or ok is None:
        return 0
    sign = -1 if reverse else 1
    counts = ok if weight > 0 else not ok
    return weight * sign if counts else 0


def unweighted_faults(reverse: bool, ok: bool) -> bool:
    """A weight-0 tracker faults the instance while down (while up when `reverse`)."""
    return ok == reverse


def file_status(value: int, weight: int, reverse: bool) -> int:
    """keepalived's track_file status; at or below FILE_FAULT_AT it means FAULT."""
    if weight == 0:
        faulty = (value != 0) != reverse
        return FILE_FAULT_AT if faulty else 0
    return value * weight * (-1 if reverse else 1)


def effect_of(spec: TrackSpec, reading: Reading) -> Effect:
    """What `reading` of the tracker in `spec` does to the instance."""
    if spec.kind is TrackKind.FILE:
        status = file_status(_as_int(reading), spec.weight, spec.reverse)
        if status <= FILE_FAULT_AT:
            return Effect(fault=f"tracked file {spec.name} has status {status}")
        return Effect(adjust=min(status, FILE_MAX_ADJUST))
    ok = reading.ok if isinstance(reading, ScriptStatus) else bool(reading)
    if spec.weight != 0:
        return Effect(adjust=weighted_adjustment(spec.weight, spec.reverse, ok))
    if ok is None:
        held = reading is ScriptStatus.INIT
        return Effect(fault=f"script {spec.name} not yet run" if held else None)
    if not unweighted_faults(spec.reverse, ok):
        return Effect()
    return Effect(fault=_fault_words(spec, ok))


def _as_int(reading: Reading) -> int:
    if isinstance(reading, ScriptStatus):
        raise TypeError(f"a track_file reading must be an integer, not {reading}")
    return int(reading)


def _fault_words(spec: TrackSpec, ok: bool) -> str:
    if spec.kind is TrackKind.INTERFACE:
        return f"interface {spec.name} {'up' if ok else 'down'}"
    if spec.kind is TrackKind.PROCESS:
        return f"tracked process {spec.name} quorum {'achieved' if ok else 'not achieved'}"
    return f"script {spec.name} {'succeeded' if ok else 'failed'}"


def clamp_priority(base: int, total: int) -> int:
    """Effective priority: the owner keeps 255, others are held inside [1, 254]."""
    if base == PRIORITY_OWNER:
        return PRIORITY_OWNER
    return max(MIN_EFFECTIVE, min(MAX_EFFECTIVE, total))


def default_reading(kind: TrackKind) -> Reading:
    """What a tracker reads before it has reported: scripts not yet run, links up, files 0."""
    if kind is TrackKind.SCRIPT:
        return ScriptStatus.INIT
    if kind is TrackKind.FILE:
        return 0
    return True


TrackingEvent = PriorityChanged | FaultChanged


@dataclass(frozen=True, slots=True)
class TrackingUpdate:
    """Events for the instance (in order) and the log lines that go with them."""

    events: tuple[TrackingEvent, ...] = ()
    logs: tuple[str, ...] = ()


class PriorityTracker:
    """One instance's trackers: readings in, effective priority and FAULT out.

    Build it with the instance's base priority and specs, read `effective_priority` and
    `faulted` for the initial state, then feed `reading_changed` as trackers report.
    """

    def __init__(
        self,
        instance: str,
        base_priority: int,
        specs: Iterable[TrackSpec],
        initial: dict[tuple[TrackKind, str], Reading] | None = None,
    ) -> None:
        if not 1 <= base_priority <= PRIORITY_OWNER:
            raise ValueError(f"({instance}) priority {base_priority} outside 1..255")
        self.instance = instance
        self.base_priority = base_priority
        self._specs = tuple(specs)
        keys = {(s.kind, s.name) for s in self._specs}
        if len(keys) != len(self._specs):
            raise ValueError(f"({instance}) a tracker is listed twice")
        given = initial or {}
        self._readings = {k: given.get(k, default_reading(k[0])) for k in keys}
        self.effective_priority, self._faults = self._evaluate()

    @property
    def faulted(self) -> bool:
        return bool(self._faults)

    @property
    def fault_reasons(self) -> tuple[str, ...]:
        return self._faults

    def tracks(self, kind: TrackKind, name: str) -> bool:
        return (kind, name) in self._readings

    def _evaluate(self) -> tuple[int, tuple[str, ...]]:
        total = self.base_priority
        faults: list[str] = []
        for spec in self._specs:
            effect = effect_of(spec, self._readings[(spec.kind, spec.name)])
            total += effect.adjust
            if effect.fault is not None:
                faults.append(effect.fault)
        return clamp_priority(self.base_priority, total), tuple(faults)

    def reading_changed(self, kind: TrackKind, name: str, reading: Reading) -> TrackingUpdate:
        """A tracker reported; untracked names are ignored (nothing to do for us)."""
        if (kind, name) not in self._readings:
            return TrackingUpdate()
        self._readings[(kind, name)] = reading
        old_priority, old_faults = self.effective_priority, self._faults
        self.effective_priority, self._faults = self._evaluate()
        events: list[TrackingEvent] = []
        logs: list[str] = []
        if self.effective_priority != old_priority:
            reason = self._reason(kind, name, reading)
            events.append(PriorityChanged(effective=self.effective_priority, reason=reason))
            logs.append(
                f"({self.instance}) Changing effective priority from {old_priority}"
                f" to {self.effective_priority}"
            )
        if bool(self._faults) != bool(old_faults):
            reason = self._faults[0] if self._faults else self._reason(kind, name, reading)
            events.append(FaultChanged(faulted=bool(self._faults), reason=reason))
        return TrackingUpdate(events=tuple(events), logs=tuple(logs))

    @staticmethod
    def _reason(kind: TrackKind, name: str, reading: Reading) -> str:
        if isinstance(reading, ScriptStatus):
            return f"script {name} {reading.value}"
        if kind is TrackKind.FILE:
            return f"tracked file {name} value {_as_int(reading)}"
        if kind is TrackKind.INTERFACE:
            return f"interface {name} {'up' if reading else 'down'}"
        return f"tracked process {name} quorum {'achieved' if reading else 'not achieved'}"
