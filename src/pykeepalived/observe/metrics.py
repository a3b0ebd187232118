"""Prometheus text for the status view: the exporters' metric names, then ours.

Metric names and labels are mehdy/keepalived-exporter's, so dashboards built on it keep
working; ours are prefixed `pykeepalived_`. Neither exporter has a metric for the health
checkers: mehdy's reads nothing of the check side, gen2brain's `keepalived_lvs_*` are
the kernel's IPVS traffic counters, which it reads from the kernel itself (so they keep
working beside us unchanged). The check side is therefore ours only: quorum, real
server state and weights, checker state, latency and failures by reason.
"""

from __future__ import annotations

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
    if view.check is not None:
        out += check_metrics(view.check)
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
    return out + _split_brain_metrics(view)


def _split_brain_metrics(view: StatusView) -> list[str]:
    """Episodes counted once (vrrp/split_brain.py) and the last one's length and peer."""
    out = ["# TYPE pykeepalived_split_brain_episodes_total counter"]
    out += [f"pykeepalived_split_brain_episodes_total{_common(i)} "
            f"{i.extra_counters.get('split_brain_episodes', 0)}" for i in view.instances]
    out.append("# TYPE pykeepalived_split_brain_last_duration_seconds gauge")
    for i in view.instances:
        if i.split_brain:
            last = i.split_brain[-1]
            labels = _labels(iname=i.name, peer=str(last["peer"]), side=str(last["side"]))
            out.append(f"pykeepalived_split_brain_last_duration_seconds{labels} "
                       f"{float(last['duration']):g}")
    out.append("# TYPE pykeepalived_witness_up gauge")
    out += [f"pykeepalived_witness_up{_labels(iname=i.name, witness=a)} {int(up == 'up')}"
            for i in view.instances for a, up in i.witnesses.items()]
    out.append("# TYPE pykeepalived_lease_held gauge")
    out += [f"pykeepalived_lease_held{_labels(iname=i.name, key=i.lease.get('key', ''))} "
            f"{int(i.lease.get('held') == 'yes')}" for i in view.instances if i.lease]
    out.append("# TYPE pykeepalived_lease_revision gauge")
    out += [f"pykeepalived_lease_revision{_labels(iname=i.name, key=i.lease.get('key', ''))} "
            f"{i.lease.get('revision', '0')}" for i in view.instances if i.lease]
    out.append("# TYPE pykeepalived_master_refusal_info gauge")
    out += [f"pykeepalived_master_refusal_info{_labels(iname=i.name, reason=i.refusal)} 1"
            for i in view.instances if i.refusal]
    return out


def check_metrics(view: CheckStatusView) -> list[str]:
    """The check side: one series per virtual server, real server and checker."""
    quorum = ["# TYPE pykeepalived_virtual_server_quorum_up gauge"]
    up = ["# TYPE pykeepalived_real_server_up gauge"]
    weights = ["# TYPE pykeepalived_real_server_weight gauge"]
    checker_up = ["# TYPE pykeepalived_checker_up gauge"]
    latency = ["# TYPE pykeepalived_checker_latency_seconds gauge"]
    failures = ["# TYPE pykeepalived_checker_failures_total counter"]
    for vs in view.virtual_servers:
        quorum.append(f"pykeepalived_virtual_server_quorum_up{_labels(virtual_server=vs.label)}"
                      f" {int(vs.quorum_up)}")
        for rs in vs.real_servers:
            server = {"virtual_server": vs.label, "real_server": rs.address}
            up.append(f"pykeepalived_real_server_up{_labels(**server)} {int(rs.alive)}")
            shown = {"configured": rs.weight, "effective": rs.effective_weight,
                     "ipvs": rs.ipvs_weight if rs.in_ipvs else None,
                     "kernel": rs.kernel_weight}
            weights += [f"pykeepalived_real_server_weight{_labels(**server, kind=kind)} {value}"
                        for kind, value in shown.items() if value is not None]
            for position, c in enumerate(rs.checkers):
                labels = {**server, "checker": c.kind, "position": str(position)}
                checker_up.append(f"pykeepalived_checker_up{_labels(**labels)} {int(c.up)}")
                if c.last_latency is not None:
                    latency.append(f"pykeepalived_checker_latency_seconds{_labels(**labels)}"
                                   f" {c.last_latency:f}")
                failures += [f"pykeepalived_checker_failures_total"
                             f"{_labels(**labels, reason=reason)} {count}"
                             for reason, count in c.failures.items()]
    return quorum + up + weights + checker_up + latency + failures


def _common(inst: InstanceStatus) -> str:
    return _labels(iname=inst.name, intf=inst.interface, vrid=str(inst.vrid), state=inst.state)


def _labels(**values: str) -> str:
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in values.items()) + "}"
