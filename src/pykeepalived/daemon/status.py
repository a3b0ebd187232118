"""`pykeepalived status`: what the running daemon is doing, for operators and Prometheus.

The daemon answers the JSON dump signal (SIGRTMIN+2, as keepalived) by writing
keepalived's /tmp/keepalived.json and, beside it, our richer `pykeepalived.status.json`
(last transition reason, effective priority, tracker readings, extra counters). This
command signals the pid from the pid file, waits (bounded) for a fresh file and prints a
table, the JSON, or Prometheus text. Against a real keepalived only keepalived.json
appears; the view then shows what that file has, so the command works with both daemons.

Metric names and labels are mehdy/keepalived-exporter's, so dashboards built on it keep
working; ours are prefixed `pykeepalived_`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pykeepalived.vrrp.stats import KEEPALIVED_STATS_KEYS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pykeepalived.daemon.snapshot import DumpSnapshot

STATUS_FILE = "pykeepalived.status.json"
KEEPALIVED_JSON = "keepalived.json"
#: keepalived's JSON dump signal: SIGRTMIN + 2 (36 with glibc)
JSON_SIGNAL = signal.SIGRTMIN + 2
STATE_NAMES = ("INIT", "BACKUP", "MASTER", "FAULT")

#: keepalived JSON counter -> mehdy/keepalived-exporter metric name
COUNTER_METRICS = {
    "advert_rcvd": "keepalived_advertisements_received_total",
    "advert_sent": "keepalived_advertisements_sent_total",
    "become_master": "keepalived_become_master_total",
    "release_master": "keepalived_release_master_total",
    "packet_len_err": "keepalived_packet_length_errors_total",
    "advert_interval_err": "keepalived_advertisements_interval_errors_total",
    "ip_ttl_err": "keepalived_ip_ttl_errors_total",
    "invalid_type_rcvd": "keepalived_invalid_type_received_total",
    "addr_list_err": "keepalived_address_list_errors_total",
    "invalid_authtype": "keepalived_authentication_invalid_total",
    "authtype_mismatch": "keepalived_authentication_mismatch_total",
    "auth_failure": "keepalived_authentication_failure_total",
    "pri_zero_rcvd": "keepalived_priority_zero_received_total",
    "pri_zero_sent": "keepalived_priority_zero_sent_total",
}


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


# ------------------------------------------------------------------ the daemon's side
def encode_status(snapshot: DumpSnapshot) -> str:
    """Our status file: a stable JSON document, written with keepalived.json."""
    document = {
        "taken_at": snapshot.taken_at,
        "instances": [
            {"name": i.name, "interface": i.interface or "", "vrid": i.vrid,
             "state": i.state.value, "wantstate": i.wantstate.value,
             "base_priority": i.base_priority, "effective_priority": i.effective_priority,
             "master": _master_text(i.state.value, i.master_router, i.master_priority),
             "last_transition": i.last_transition, "reason": i.last_transition_reason,
             "vips": list(i.vips), "garp_delay": i.garp_delay_s,
             "stats": dict(i.stats), "extra_stats": dict(i.extra_stats)}
            for i in snapshot.instances
        ],
        "scripts": [{"name": s.name, "status": s.status, "tracker_state": s.tracker_state}
                    for s in snapshot.scripts],
        "daemon_stats": dict(snapshot.daemon_counters),
    }
    return json.dumps(document, indent=1) + "\n"


def _master_text(state: str, router: str, priority: int) -> str:
    return "self" if state == "MASTER" else f"{router} (prio {priority})"


# ------------------------------------------------------------------ parsing
def parse_status(text: str) -> StatusView:
    try:
        doc = json.loads(text)
        instances = tuple(
            InstanceStatus(
                name=str(i["name"]), interface=str(i["interface"]), vrid=int(i["vrid"]),
                state=str(i["state"]), base_priority=int(i["base_priority"]),
                effective_priority=int(i["effective_priority"]), master=str(i["master"]),
                last_transition=i["last_transition"], reason=str(i["reason"]),
                vips=tuple(i["vips"]), garp_delay=float(i["garp_delay"]),
                counters={k: int(v) for k, v in i["stats"].items()},
                extra_counters={k: int(v) for k, v in i["extra_stats"].items()})
            for i in doc["instances"])
        scripts = tuple(ScriptStatusView(str(s["name"]), str(s["status"]),
                                         str(s["tracker_state"])) for s in doc["scripts"])
        # absent from status files written before these counters existed
        daemon = {k: int(v) for k, v in doc.get("daemon_stats", {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StatusError(f"{STATUS_FILE} is not a status document: {exc}") from None
    return StatusView(instances, scripts, STATUS_FILE, daemon_counters=daemon)


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
    for inst in view.instances:
        shown = {**inst.counters, **{k: v for k, v in inst.extra_counters.items() if v}}
        counters = " ".join(f"{k}={v}" for k, v in shown.items())
        lines.append(f"{inst.name}: {counters}")
    lines += [f"script {s.name}: {s.status}" + (f" ({s.tracker_state})" * bool(s.tracker_state))
              for s in view.scripts]
    daemon = " ".join(f"{k}={v}" for k, v in view.daemon_counters.items() if v)
    if daemon:
        lines.append(f"daemon: {daemon}")
    return "\n".join(lines) + "\n"


def _when(epoch: float | None) -> str:
    if not epoch:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def format_metrics(view: StatusView) -> str:
    """Prometheus text exposition: the exporter's names and labels, then our extras."""
    out = ["# TYPE keepalived_up gauge", "keepalived_up 1"]
    out += ["# TYPE keepalived_vrrp_state gauge"]
    for inst in view.instances:
        for vip in inst.vips:
            words = vip.split()
            dev = words[words.index("dev") + 1] if "dev" in words[:-1] else inst.interface
            labels = _labels(iname=inst.name, intf=dev, vrid=str(inst.vrid),
                             ip_address=words[0])
            out.append(f"keepalived_vrrp_state{labels} {STATE_NAMES.index(inst.state)}")
    for key, metric in COUNTER_METRICS.items():
        out.append(f"# TYPE {metric} counter")
        out += [f"{metric}{_common(i)} {i.counters.get(key, 0)}" for i in view.instances]
    out.append("# TYPE keepalived_gratuitous_arp_delay_total counter")
    out += [f"keepalived_gratuitous_arp_delay_total{_common(i)} {i.garp_delay:g}"
            for i in view.instances]
    out += _script_metrics(view)
    out += _extra_metrics(view)
    return "\n".join(out) + "\n"


def _script_metrics(view: StatusView) -> list[str]:
    out = ["# TYPE keepalived_script_status gauge"]
    out += [f"keepalived_script_status{_labels(name=s.name)} {int(s.status == 'GOOD')}"
            for s in view.scripts]
    out.append("# TYPE pykeepalived_script_tracker_state gauge")
    out += [f"pykeepalived_script_tracker_state{_labels(name=s.name, state=s.tracker_state)} 1"
            for s in view.scripts if s.tracker_state]
    return out


def _extra_metrics(view: StatusView) -> list[str]:
    out = ["# TYPE pykeepalived_effective_priority gauge"]
    out += [f"pykeepalived_effective_priority{_common(i)} {i.effective_priority}"
            for i in view.instances]
    out.append("# TYPE pykeepalived_base_priority gauge")
    out += [f"pykeepalived_base_priority{_common(i)} {i.base_priority}" for i in view.instances]
    out.append("# TYPE pykeepalived_last_transition_timestamp_seconds gauge")
    out += [f"pykeepalived_last_transition_timestamp_seconds{_common(i)} {i.last_transition:f}"
            for i in view.instances if i.last_transition]
    out.append("# TYPE pykeepalived_last_transition_info gauge")
    out += [f"pykeepalived_last_transition_info{_labels(iname=i.name, reason=i.reason)} 1"
            for i in view.instances if i.reason]
    out.append("# TYPE pykeepalived_extra_errors_total counter")
    out += [f"pykeepalived_extra_errors_total{_labels(iname=i.name, kind=k)} {v}"
            for i in view.instances for k, v in i.extra_counters.items()]
    out += [f"pykeepalived_extra_errors_total{_labels(kind=k)} {v}"
            for k, v in view.daemon_counters.items()]
    return out


def _common(inst: InstanceStatus) -> str:
    return _labels(iname=inst.name, intf=inst.interface, vrid=str(inst.vrid), state=inst.state)


def _labels(**values: str) -> str:
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in values.items()) + "}"


# ------------------------------------------------------------------ asking the daemon
def request_status(pid_file: Path, directory: Path, *, timeout: float = 2.0) -> StatusView:
    """Signal the daemon for a JSON dump and read the first file that is fresh."""
    pid = _read_pid(pid_file)
    paths = (directory / STATUS_FILE, directory / KEEPALIVED_JSON)
    before = {path: _mtime(path) for path in paths}
    try:
        os.kill(pid, JSON_SIGNAL)
    except ProcessLookupError:
        raise StatusError(f"no process {pid} (from {pid_file}): is the daemon running?") from None
    except PermissionError:
        raise StatusError(f"not allowed to signal process {pid}: run as root") from None
    interval, problem = 0.01, f"process {pid} wrote no dump in {directory} within {timeout:g} s"
    for _ in range(int(timeout / interval) + 1):
        time.sleep(interval)
        fresh = [p for p in paths if _mtime(p) not in (None, before[p])]
        if fresh:
            try:
                return _parse_file(fresh[0])
            except StatusError as exc:  # real keepalived writes in place: maybe half done
                problem = str(exc)
    raise StatusError(problem)


def _parse_file(path: Path) -> StatusView:
    text = path.read_text(encoding="utf-8", errors="replace")
    return parse_status(text) if path.name == STATUS_FILE else parse_keepalived_json(text)


def _read_pid(pid_file: Path) -> int:
    try:
        text = pid_file.read_text().strip()
    except OSError as exc:
        raise StatusError(f"cannot read pid file {pid_file}: {exc.strerror}") from None
    if not text.isdigit() or int(text) <= 1:
        raise StatusError(f"pid file {pid_file} holds no pid: {text[:40]!r}")
    return int(text)


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def main_status(argv: Sequence[str]) -> int:
    """`pykeepalived status [--json|--metrics] [--pid FILE] [--dir DIR]`; exit 0 or 1."""
    parser = argparse.ArgumentParser(prog="pykeepalived status",
                                     description="show the running daemon's VRRP state")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the status as JSON")
    output.add_argument("--metrics", action="store_true", help="Prometheus text format")
    parser.add_argument("--pid", type=Path, default=Path("/run/keepalived.pid"),
                        help="the daemon's pid file (default /run/keepalived.pid)")
    parser.add_argument("--dir", type=Path, default=Path("/tmp"),
                        help="where the daemon writes its dumps (default /tmp)")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds to wait")
    args = parser.parse_args(list(argv))
    try:
        view = request_status(args.pid, args.dir, timeout=args.timeout)
    except StatusError as exc:
        print(f"pykeepalived status: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([_as_json(i) for i in view.instances], indent=1))
    elif args.metrics:
        sys.stdout.write(format_metrics(view))
    else:
        sys.stdout.write(format_table(view))
    return 0


def _as_json(inst: InstanceStatus) -> dict[str, object]:
    return {"name": inst.name, "interface": inst.interface, "vrid": inst.vrid,
            "state": inst.state, "base_priority": inst.base_priority,
            "effective_priority": inst.effective_priority, "master": inst.master,
            "last_transition": inst.last_transition, "reason": inst.reason,
            "counters": {**inst.counters, **inst.extra_counters}}
