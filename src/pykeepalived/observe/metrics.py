"""Prometheus text for the status view: the exporters' metric names, then ours.

Metric names and labels are mehdy/keepalived-exporter's, so dashboards built on it keep
working; ours are prefixed `pykeepalived_`. Neither exporter has a metric for the health
checkers: mehdy's reads nothing of the check side, gen2brain's `keepalived_lvs_*` are
the kernel's IPVS traffic counters, which it reads from the kernel itself (so they keep
working beside us unchanged). The check side is therefore ours only: quorum, real
server state and weights, checker state, latency and failures by reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pykeepalived.observe.status import STATE_NAMES

if TYPE_CHECKING:
    from pykeepalived.observe.check_status import CheckStatusView
    from pykeepalived.observe.status import InstanceStatus, StatusView

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



#: the daemon's operation counters (StatusView.operations) -> (metric, help, labels).
#: A counter the daemon starts keeping joins the metrics by a line here. Split-brain
#: episodes (issue 12) are to come in as operation "split_brain_episodes".
OPERATION_METRICS: dict[str, tuple[str, str, dict[str, str]]] = {
    "garp_sent": ("pykeepalived_gratuitous_sent_total",
                  "gratuitous ARPs and unsolicited NAs sent", {"kind": "garp"}),
    "unsolicited_na_sent": ("pykeepalived_gratuitous_sent_total",
                            "gratuitous ARPs and unsolicited NAs sent",
                            {"kind": "unsolicited_na"}),
    "garp_send_failures": ("pykeepalived_gratuitous_send_failures_total",
                           "gratuitous frames the kernel refused", {"kind": "garp"}),
    "unsolicited_na_send_failures": ("pykeepalived_gratuitous_send_failures_total",
                                     "gratuitous frames the kernel refused",
                                     {"kind": "unsolicited_na"}),
    "notify_runs": ("pykeepalived_notify_runs_total", "notify scripts run", {}),
    "notify_failures": ("pykeepalived_notify_failures_total",
                        "notify scripts that exited non-zero, timed out or could not start",
                        {}),
    "notify_seconds": ("pykeepalived_notify_seconds_total",
                       "time spent running notify scripts", {}),
    "script_runs": ("pykeepalived_track_script_runs_total", "vrrp_script runs", {}),
    "script_failures": ("pykeepalived_track_script_failures_total",
                        "vrrp_script runs that failed (non-zero, timeout, not started)", {}),
    "script_seconds": ("pykeepalived_track_script_seconds_total",
                       "time spent running vrrp_scripts", {}),
    "split_brain_episodes": ("pykeepalived_split_brain_episodes_total",
                             "times two masters were seen for one VRID", {}),
}


@dataclass(frozen=True, slots=True)
class Sample:
    labels: dict[str, str]
    value: float
    #: the value as the text exposition prints it (integers without a decimal point)
    text: str


@dataclass(frozen=True, slots=True)
class Family:
    """One metric: what `status --metrics` prints and the Prometheus endpoint serves
    (prometheus.py), decided once here."""

    name: str
    kind: str
    help: str
    samples: list[Sample] = field(default_factory=list)

    def add(self, value: float, text: str | None = None, **labels: str) -> None:
        self.samples.append(Sample(labels, value, str(value) if text is None else text))


def format_metrics(view: StatusView) -> str:
    """Prometheus text exposition: the exporter's names and labels, then our extras."""
    out: list[str] = []
    for family in metric_families(view):
        out.append(f"# TYPE {family.name} {family.kind}")
        out += [f"{family.name}{_labels(**s.labels) if s.labels else ''} {s.text}"
                for s in family.samples]
    return "\n".join(out) + "\n"


def metric_families(view: StatusView) -> list[Family]:
    """Every metric of the view, in the exposition's order."""
    up = Family("keepalived_up", "gauge", "the daemon answered")
    up.add(1)
    state = Family("keepalived_vrrp_state", "gauge",
                   "VRRP state per VIP: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT")
    for inst in view.instances:
        for vip in inst.vips:
            words = vip.split()
            dev = words[words.index("dev") + 1] if "dev" in words[:-1] else inst.interface
            state.add(STATE_NAMES.index(inst.state), iname=inst.name, intf=dev,
                      vrid=str(inst.vrid), ip_address=words[0])
    families = [up, state]
    for key, metric in COUNTER_METRICS.items():
        family = Family(metric, "counter", f"keepalived's {key} counter")
        for i in view.instances:
            family.add(i.counters.get(key, 0), **_common(i))
        families.append(family)
    garp = Family("keepalived_gratuitous_arp_delay_total", "counter",
                  "vrrp_garp_master_delay in seconds (the exporter's name)")
    for i in view.instances:
        garp.add(i.garp_delay, f"{i.garp_delay:g}", **_common(i))
    families.append(garp)
    families += _script_families(view)
    families += _extra_families(view)
    if view.check is not None:
        families += check_families(view.check)
    return families


def _script_families(view: StatusView) -> list[Family]:
    status = Family("keepalived_script_status", "gauge", "1 while the vrrp_script is GOOD")
    tracker = Family("pykeepalived_script_tracker_state", "gauge",
                     "the vrrp_script tracker's reading (init, good, bad)")
    for s in view.scripts:
        status.add(int(s.status == "GOOD"), name=s.name)
        if s.tracker_state:
            tracker.add(1, name=s.name, state=s.tracker_state)
    return [status, tracker]


def _extra_families(view: StatusView) -> list[Family]:
    effective = Family("pykeepalived_effective_priority", "gauge",
                       "priority after tracker weights")
    base = Family("pykeepalived_base_priority", "gauge", "configured priority")
    since = Family("pykeepalived_last_transition_timestamp_seconds", "gauge",
                   "when the instance last changed state (epoch)")
    info = Family("pykeepalived_last_transition_info", "gauge",
                  "why the instance last changed state")
    errors = Family("pykeepalived_extra_errors_total", "counter",
                    "receive drops and errors keepalived does not count, by kind")
    for i in view.instances:
        effective.add(i.effective_priority, **_common(i))
        base.add(i.base_priority, **_common(i))
        if i.last_transition:
            since.add(i.last_transition, f"{i.last_transition:f}", **_common(i))
        if i.reason:
            info.add(1, iname=i.name, reason=i.reason)
        for k, v in i.extra_counters.items():
            errors.add(v, iname=i.name, kind=k)
    for k, v in view.daemon_counters.items():
        errors.add(v, kind=k)
    families = [effective, base, since, info, errors]
    if view.transition_counts:  # the control socket's view only (no dump file has them)
        moves = Family("pykeepalived_transitions_total", "counter",
                       "state changes since start, by new state and reason")
        for name, new, reason, count in view.transition_counts:
            moves.add(count, iname=name, state=new, reason=reason)
        families.append(moves)
    by_name: dict[str, Family] = {}
    for key, value in view.operations.items():
        if key not in OPERATION_METRICS:
            continue
        metric, text, labels = OPERATION_METRICS[key]
        family = by_name.setdefault(metric, Family(metric, "counter", text))
        family.add(value, f"{value:g}" if value != int(value) else str(int(value)), **labels)
    return families + list(by_name.values()) + _split_brain_families(view)


def _split_brain_families(view: StatusView) -> list[Family]:
    """Episodes counted once (vrrp/split_brain.py) and the last one's length and peer;
    witnesses, leases and why an instance refused to become MASTER."""
    episodes = Family("pykeepalived_split_brain_episodes_total", "counter",
                      "two masters heard at once, each episode once")
    last = Family("pykeepalived_split_brain_last_duration_seconds", "gauge",
                  "how long the last split-brain episode lasted")
    witness = Family("pykeepalived_witness_up", "gauge", "1 while the witness answers")
    held = Family("pykeepalived_lease_held", "gauge", "1 while this node holds the lease")
    revision = Family("pykeepalived_lease_revision", "gauge",
                      "the lease key's revision: the fencing token")
    refusal = Family("pykeepalived_master_refusal_info", "gauge",
                     "why the instance refuses to become MASTER")
    for i in view.instances:
        episodes.add(i.extra_counters.get("split_brain_episodes", 0), **_common(i))
        if i.split_brain:
            one = i.split_brain[-1]
            duration = float(one["duration"])
            last.add(duration, f"{duration:g}", iname=i.name, peer=str(one["peer"]),
                     side=str(one["side"]))
        for address, up in i.witnesses.items():
            witness.add(int(up == "up"), iname=i.name, witness=address)
        if i.lease:
            key = i.lease.get("key", "")
            held.add(int(i.lease.get("held") == "yes"), iname=i.name, key=key)
            rev = i.lease.get("revision", "0")
            revision.add(float(rev), str(rev), iname=i.name, key=key)
        if i.refusal:
            refusal.add(1, iname=i.name, reason=i.refusal)
    return [episodes, last, witness, held, revision, refusal]


def check_families(view: CheckStatusView) -> list[Family]:
    """The check side: one series per virtual server, real server and checker."""
    quorum = Family("pykeepalived_virtual_server_quorum_up", "gauge",
                    "1 while the virtual server's quorum is met")
    up = Family("pykeepalived_real_server_up", "gauge", "1 while the real server is alive")
    weights = Family("pykeepalived_real_server_weight", "gauge",
                     "configured, effective, given to IPVS, read back from the kernel")
    checker_up = Family("pykeepalived_checker_up", "gauge", "1 while the checker succeeds")
    latency = Family("pykeepalived_checker_latency_seconds", "gauge",
                     "the checker's last probe latency")
    failures = Family("pykeepalived_checker_failures_total", "counter",
                      "checker failures by reason")
    for vs in view.virtual_servers:
        quorum.add(int(vs.quorum_up), virtual_server=vs.label)
        for rs in vs.real_servers:
            server = {"virtual_server": vs.label, "real_server": rs.address}
            up.add(int(rs.alive), **server)
            shown = {"configured": rs.weight, "effective": rs.effective_weight,
                     "ipvs": rs.ipvs_weight if rs.in_ipvs else None,
                     "kernel": rs.kernel_weight}
            for kind, value in shown.items():
                if value is not None:
                    weights.add(value, **server, kind=kind)
            for position, c in enumerate(rs.checkers):
                labels = {**server, "checker": c.kind, "position": str(position)}
                checker_up.add(int(c.up), **labels)
                if c.last_latency is not None:
                    latency.add(c.last_latency, f"{c.last_latency:f}", **labels)
                for reason, count in c.failures.items():
                    failures.add(count, **labels, reason=reason)
    return [quorum, up, weights, checker_up, latency, failures]


def check_metrics(view: CheckStatusView) -> list[str]:
    """The check side as exposition lines (its families, text-rendered)."""
    out: list[str] = []
    for family in check_families(view):
        out.append(f"# TYPE {family.name} {family.kind}")
        out += [f"{family.name}{_labels(**s.labels)} {s.text}" for s in family.samples]
    return out


def _common(inst: InstanceStatus) -> dict[str, str]:
    return {"iname": inst.name, "intf": inst.interface, "vrid": str(inst.vrid),
            "state": inst.state}


def _labels(**values: str) -> str:
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in values.items()) + "}"
