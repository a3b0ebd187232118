"""Our status document: what an operator reads about the running daemon, and its table.

The daemon answers the JSON dump signal (SIGRTMIN+2, as keepalived) by writing
keepalived's /tmp/keepalived.json and, beside it, our richer `pykeepalived.status.json`
(last transition reason, effective priority, tracker readings, extra counters). Both
parse into one `StatusView`, so `pykeepalived status` (cli/status.py) works against a real
keepalived too, showing what its file has. The checker child answers the same signal
with its own document (check_status.py), which joins the view as `check`. metrics.py
renders the same view for Prometheus.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pykeepalived.observe.check_status import check_table_lines
from pykeepalived.vrrp.stats import KEEPALIVED_STATS_KEYS

if TYPE_CHECKING:
    from pykeepalived.observe.check_status import CheckStatusView
    from pykeepalived.observe.snapshot import DumpSnapshot, EpisodeSnapshot

STATUS_FILE = "pykeepalived.status.json"
KEEPALIVED_JSON = "keepalived.json"
STATE_NAMES = ("INIT", "BACKUP", "MASTER", "FAULT")


class StatusError(Exception):
    """A reason the status cannot be shown, worded for the operator."""


@dataclass(frozen=True, slots=True)
class InstanceStatus:
    name: str
    interface: str
    vrid: int
    state: str
    base_priority: int
    effective_priority: int
    master: str = ""
    last_transition: float | None = None
    reason: str = ""
    vips: tuple[str, ...] = ()
    garp_delay: float = 0.0
    counters: dict[str, int] = field(default_factory=dict)
    extra_counters: dict[str, int] = field(default_factory=dict)
    #: the last split-brain episodes (start, end, duration, side, ours, peer, priorities)
    split_brain: tuple[dict[str, Any], ...] = ()
    #: neighbour witnesses: address → up / down / unknown
    witnesses: dict[str, str] = field(default_factory=dict)
    #: why the instance last refused to become MASTER
    refusal: str = ""
    #: the lease witness (key, held, revision, holder, error); empty without one
    lease: dict[str, str] = field(default_factory=dict)
    sync_group: str | None = None
    track_interfaces: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class GroupStatus:
    name: str
    state: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TransitionStatus:
    at: float
    instance: str
    old: str
    new: str
    reason: str


@dataclass(frozen=True, slots=True)
class ScriptStatusView:
    name: str
    status: str
    tracker_state: str = ""


@dataclass(frozen=True, slots=True)
class StatusView:
    instances: tuple[InstanceStatus, ...]
    scripts: tuple[ScriptStatusView, ...] = ()
    source: str = STATUS_FILE
    #: drops no instance owns (unknown VRIDs, short datagrams, unexpected errors)
    daemon_counters: dict[str, int] = field(default_factory=dict)
    #: the checker child our VRRP process runs (None: none, or not our daemon)
    checker_pid: int | None = None
    #: the check side (check_status.py), when the checker wrote a fresh document
    check: CheckStatusView | None = None
    groups: tuple[GroupStatus, ...] = ()
    #: the daemon's last transitions, oldest first (control socket only)
    transitions: tuple[TransitionStatus, ...] = ()
    #: daemon-wide operation counters (control socket only; metrics.py names them)
    operations: dict[str, float] = field(default_factory=dict)
    #: (instance, new state, reason) -> transitions since start (control socket only)
    transition_counts: tuple[tuple[str, str, str, int], ...] = ()

    @property
    def any_fault(self) -> bool:
        """Whether some instance is in FAULT: `pykeepalived status` then exits 2."""
        return any(inst.state == "FAULT" for inst in self.instances)


# ------------------------------------------------------------------ the daemon's side
def encode_status(snapshot: DumpSnapshot) -> str:
    """Our status file: a stable JSON document, written with keepalived.json."""
    return json.dumps(status_document(snapshot), indent=1) + "\n"


def status_document(snapshot: DumpSnapshot) -> dict[str, Any]:
    """The status as JSON-ready values: our status file, and the control socket's answer."""
    return {
        "taken_at": snapshot.taken_at,
        "instances": [
            {"name": i.name, "interface": i.interface or "", "vrid": i.vrid,
             "state": i.state.value, "wantstate": i.wantstate.value,
             "base_priority": i.base_priority, "effective_priority": i.effective_priority,
             "master": _master_text(i.state.value, i.master_router, i.master_priority,
                                    heard=i.master_router != i.mcast_address),
             "last_transition": i.last_transition, "reason": i.last_transition_reason,
             "vips": list(i.vips), "garp_delay": i.garp_delay_s,
             "stats": dict(i.stats), "extra_stats": dict(i.extra_stats),
             "split_brain": [_episode(e) for e in i.split_brain],
             "witnesses": dict(i.witnesses), "refusal": i.refusal, "lease": dict(i.lease),
             "sync_group": i.sync_group,
             "track_interfaces": [[name, weight] for name, weight in i.track_interfaces]}
            for i in snapshot.instances
        ],
        "groups": [{"name": name, "state": group_state(states), "members": members}
                   for name, members, states in _groups(snapshot)],
        "scripts": [{"name": s.name, "status": s.status, "tracker_state": s.tracker_state}
                    for s in snapshot.scripts],
        "transitions": [{"at": t.at, "instance": t.instance, "old": t.old, "new": t.new,
                         "reason": t.reason} for t in snapshot.transitions],
        "daemon_stats": dict(snapshot.daemon_counters),
        "checker_pid": snapshot.checker_pid,
    }


def _groups(snapshot: DumpSnapshot) -> list[tuple[str, list[str], list[str]]]:
    found: dict[str, tuple[list[str], list[str]]] = {}
    for inst in snapshot.instances:
        if inst.sync_group:
            members, states = found.setdefault(inst.sync_group, ([], []))
            members.append(inst.name)
            states.append(inst.state.value)
    return [(name, members, states) for name, (members, states) in found.items()]


def group_state(states: list[str]) -> str:
    """A sync group's state from its members': FAULT if any is, MASTER if all are,
    else the state most of them are in (a group mid-transition shows as such)."""
    if "FAULT" in states:
        return "FAULT"
    if states and all(state == "MASTER" for state in states):
        return "MASTER"
    return "BACKUP" if "BACKUP" in states else (states[0] if states else "INIT")


def _episode(e: EpisodeSnapshot) -> dict[str, Any]:
    return {"start": e.start, "end": e.end, "duration": round(e.duration, 6), "side": e.side,
            "ours": e.ours, "our_priority": e.our_priority, "peer": e.peer,
            "peer_priority": e.peer_priority}


def _master_text(state: str, router: str, priority: int, *, heard: bool) -> str:
    """keepalived's dumps show the multicast group as "master" until one is heard; an
    operator reading our status wants to be told that none was."""
    if state == "MASTER":
        return "self"
    return f"{router} (prio {priority})" if heard else "none heard"


# ------------------------------------------------------------------ parsing
def parse_status(text: str) -> StatusView:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise StatusError(f"{STATUS_FILE} is not a status document: {exc}") from None
    return parse_status_document(doc)


def parse_status_document(doc: Any, source: str = STATUS_FILE) -> StatusView:
    """Our status document (the file, or the control socket's `status` member)."""
    try:
        instances = tuple(
            InstanceStatus(
                name=str(i["name"]), interface=str(i["interface"]), vrid=int(i["vrid"]),
                state=str(i["state"]), base_priority=int(i["base_priority"]),
                effective_priority=int(i["effective_priority"]), master=str(i["master"]),
                last_transition=i["last_transition"], reason=str(i["reason"]),
                vips=tuple(i["vips"]), garp_delay=float(i["garp_delay"]),
                counters={k: int(v) for k, v in i["stats"].items()},
                extra_counters={k: int(v) for k, v in i["extra_stats"].items()},
                # absent from status files written before split-brain episodes existed
                split_brain=tuple(dict(e) for e in i.get("split_brain", ())),
                witnesses={str(k): str(v) for k, v in i.get("witnesses", {}).items()},
                refusal=str(i.get("refusal", "")),
                lease={str(k): str(v) for k, v in i.get("lease", {}).items()},
                sync_group=i.get("sync_group"),
                track_interfaces=tuple((str(n), int(w))
                                       for n, w in i.get("track_interfaces", ())))
            for i in doc["instances"])
        scripts = tuple(ScriptStatusView(str(s["name"]), str(s["status"]),
                                         str(s["tracker_state"])) for s in doc["scripts"])
        # absent from status files written before these members existed
        daemon = {k: int(v) for k, v in doc.get("daemon_stats", {}).items()}
        checker = doc.get("checker_pid")
        checker_pid = None if checker is None else int(checker)
        groups = tuple(GroupStatus(str(g["name"]), str(g["state"]),
                                   tuple(str(m) for m in g["members"]))
                       for g in doc.get("groups", ()))
        transitions = tuple(TransitionStatus(float(t["at"]), str(t["instance"]), str(t["old"]),
                                             str(t["new"]), str(t["reason"]))
                            for t in doc.get("transitions", ()))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StatusError(f"{source} is not a status document: {exc}") from None
    return StatusView(instances, scripts, source, daemon_counters=daemon,
                      checker_pid=checker_pid, groups=groups, transitions=transitions)


def parse_keepalived_json(text: str) -> StatusView:
    """keepalived's own JSON dump (works against real keepalived too)."""
    try:
        doc = json.loads(text)
        if not isinstance(doc, list):
            raise TypeError("the top level is not an array")
        instances = tuple(_from_keepalived(entry) for entry in doc)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise StatusError(f"{KEEPALIVED_JSON} is not a keepalived JSON dump: {exc}") from None
    return StatusView(instances, (), KEEPALIVED_JSON)


def _from_keepalived(entry: dict[str, Any]) -> InstanceStatus:
    data, stats = entry["data"], entry["stats"]
    state = STATE_NAMES[int(data["state"])]
    master = "self" if state == "MASTER" else f"(prio {int(data['master_priority'])})"
    return InstanceStatus(
        name=str(data["iname"]), interface=str(data.get("ifp_ifname", "")),
        vrid=int(data["vrid"]), state=state, base_priority=int(data["base_priority"]),
        effective_priority=int(data["effective_priority"]), master=master,
        last_transition=float(data["last_transition"]), vips=tuple(data.get("vips", ())),
        garp_delay=float(data["garp_delay"]),
        counters={key: int(stats[key]) for key in KEEPALIVED_STATS_KEYS if key in stats})


# ------------------------------------------------------------------ output
def format_table(view: StatusView) -> str:
    header = ("INSTANCE", "IFACE", "VRID", "STATE", "PRIO", "MASTER", "SINCE", "REASON")
    rows = [header] + [
        (i.name, i.interface, str(i.vrid), i.state,
         f"{i.base_priority}/{i.effective_priority}", i.master,
         _when(i.last_transition), i.reason or "-")
        for i in view.instances
    ]
    widths = [max(len(row[col]) for row in rows) for col in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    if not view.instances and view.check is not None:
        lines = []  # a checker on its own (-C, or no vrrp_instance): its table only
    for inst in view.instances:
        shown = {**inst.counters, **{k: v for k, v in inst.extra_counters.items() if v}}
        counters = " ".join(f"{k}={v}" for k, v in shown.items())
        lines.append(f"{inst.name}: {counters}")
        lines += [_episode_line(inst.name, e) for e in inst.split_brain]
        if inst.witnesses:
            lines.append(f"{inst.name}: witnesses " + ", ".join(
                f"{a} {up}" for a, up in inst.witnesses.items()))
        if inst.refusal:
            lines.append(f"{inst.name}: refused MASTER: {inst.refusal}")
        if inst.lease:
            lease = inst.lease
            lines.append(f"{inst.name}: lease {lease.get('key')} held={lease.get('held')} "
                         f"revision={lease.get('revision')} holder={lease.get('holder') or '-'}"
                         + (f" ({lease['error']})" if lease.get("error") else ""))
    lines += [f"group {g.name}: {g.state} ({' '.join(g.members)})" for g in view.groups]
    lines += [f"script {s.name}: {s.status}" + (f" ({s.tracker_state})" * bool(s.tracker_state))
              for s in view.scripts]
    daemon = " ".join(f"{k}={v}" for k, v in view.daemon_counters.items() if v)
    if daemon:
        lines.append(f"daemon: {daemon}")
    if view.check is not None:
        if lines:
            lines.append("")
        lines += check_table_lines(view.check)
    return "\n".join(lines) + "\n"


def _episode_line(name: str, e: dict[str, Any]) -> str:
    side = "kept the VIP" if e["side"] == "kept" else "yielded"
    return (f"{name}: split brain {_when(e['start'])} for {float(e['duration']):.3f} s: "
            f"{e['peer']} (prio {e['peer_priority']}) and us {e['ours']} "
            f"(prio {e['our_priority']}), {side}")


def _when(epoch: float | None) -> str:
    if not epoch:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def status_json(inst: InstanceStatus) -> dict[str, object]:
    """One instance as `pykeepalived status --json` prints it."""
    return {"name": inst.name, "interface": inst.interface, "vrid": inst.vrid,
            "state": inst.state, "base_priority": inst.base_priority,
            "effective_priority": inst.effective_priority, "master": inst.master,
            "last_transition": inst.last_transition, "reason": inst.reason,
            "counters": {**inst.counters, **inst.extra_counters},
            "split_brain": list(inst.split_brain), "witnesses": inst.witnesses,
            "refusal": inst.refusal, "lease": inst.lease}
