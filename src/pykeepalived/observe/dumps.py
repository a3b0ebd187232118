"""keepalived's dump files, rendered from a `DumpSnapshot`: .data, .stats and .json.

Prometheus exporters (gen2brain/keepalived_exporter, mehdy/keepalived-exporter) signal
keepalived and parse these files, so key names, key order, indentation and JSON escaping
follow keepalived 2.2.7 (vrrp_data.c dump_vrrp, vrrp_print.c, vrrp_json.c); the fixtures
in tests/data/dumps/ were captured from it (the JSON writer is dumps_json.py). Renderers
are pure; `write_dump` is the one piece of I/O, writing atomically (temp file + rename)
with keepalived's mode 0600.

Known differences: the data dump has no "VRRP Sockpool" or "Interfaces" section (socket
and link facts are not in the snapshot; no exporter reads them), and a backslash in a JSON
string is escaped correctly (keepalived writes `\\n`).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pykeepalived.observe.dumps_json import render_json
from pykeepalived.observe.status import STATUS_FILE, encode_status
from pykeepalived.vrrp.params import State

if TYPE_CHECKING:
    from pykeepalived.observe.snapshot import (
        DumpSnapshot,
        GlobalSnapshot,
        InstanceSnapshot,
        SchedulingSnapshot,
        ScriptSnapshot,
    )

#: dump kind -> keepalived's file name in its tmp directory
DUMP_FILES = {"data": "keepalived.data", "stats": "keepalived.stats", "json": "keepalived.json",
              "status": STATUS_FILE}

_STATS_LAYOUT: tuple[tuple[str, str | None], ...] = (
    ("  Advertisements:", None), ("    Received", "advert_rcvd"), ("    Sent", "advert_sent"),
    ("  Became master", "become_master"), ("  Released master", "release_master"),
    ("  Packet Errors:", None), ("    Length", "packet_len_err"), ("    TTL", "ip_ttl_err"),
    ("    Invalid Type", "invalid_type_rcvd"),
    ("    Advertisement Interval", "advert_interval_err"),
    ("    Address List", "addr_list_err"),
    ("  Authentication Errors:", None), ("    Invalid Type", "invalid_authtype"),
    ("    Type Mismatch", "authtype_mismatch"), ("    Failure", "auth_failure"),
    ("  Priority Zero:", None), ("    Received", "pri_zero_rcvd"),
    ("    Sent", "pri_zero_sent"),
)


# ------------------------------------------------------------------ stats (SIGUSR2)
def render_stats(snapshot: DumpSnapshot) -> str:
    lines: list[str] = []
    for inst in snapshot.instances:
        counters = dict(inst.stats)
        lines.append(f"VRRP Instance: {inst.name}")
        for label, key in _STATS_LAYOUT:
            lines.append(label if key is None else f"{label}: {counters.get(key, 0)}")
    return "".join(f"{line}\n" for line in lines)


# ------------------------------------------------------------------ data (SIGUSR1)
def render_data(snapshot: DumpSnapshot) -> str:
    lines = ["------< Global definitions >------", *render_globals(snapshot.globals)]
    lines.append("------< VRRP Topology >------")
    for inst in snapshot.instances:
        lines += _instance_lines(inst)
    if snapshot.scripts:
        lines.append("------< VRRP Scripts >------")
        for script in snapshot.scripts:
            lines += _script_lines(script)
    return "".join(f"{line}\n" for line in lines)


def render_globals(g: GlobalSnapshot) -> list[str]:
    """dump_global_data's VRRP-relevant lines; checker/BFD/SNMP lines show our constants."""
    smtp = "unset" if g.smtp_alert is None else "on" if g.smtp_alert else "off"
    rows = [
        "Network namespace = (default)", "Network namespace ipvs = (main namespace)",
        f"Router ID = {g.router_id}", f"Default smtp_alert = {smtp}",
        "Default smtp_alert_vrrp = unset", "Default smtp_alert_checker = unset",
        "Checkers log all failures = false", "No test config before reload",
        f"Dynamic interfaces = {_bool(g.dynamic_interfaces)}",
        f"Default interface = {g.default_interface}", "Disable local IGMP = no",
        "LVS flush = false", "LVS flush on stop = disabled",
        "FIFO write vrrp states on reload = false", "VRRP notify priority changes = false",
        f"VRRP IPv4 mcast group = {g.mcast_group4}", f"VRRP IPv6 mcast group = {g.mcast_group6}",
        f"Gratuitous ARP delay = {g.garp_delay_s}", f"Gratuitous ARP repeat = {g.garp_repeat}",
        f"Gratuitous ARP refresh timer = {g.garp_refresh_s}",
        f"Gratuitous ARP refresh repeat = {g.garp_refresh_repeat}",
        f"Gratuitous ARP lower priority delay = {g.garp_lower_prio_delay_s}",
        f"Gratuitous ARP lower priority repeat = {g.garp_lower_prio_repeat}",
        f"Num adverts before down = {g.down_timer_adverts}",
        "Gratuitous ARP for each secondary VMAC = 0s",
        "Send advert after receive lower priority advert = "
        + ("false" if g.lower_prio_no_advert else "true"),
        "Send advert after receive higher priority advert = "
        + _bool(g.higher_prio_send_advert),
        f"Gratuitous ARP interval = {g.garp_interval_us / 1e6:f}",
        f"Gratuitous NA interval = {g.gna_interval_us / 1e6:f}",
        f"VRRP default protocol version = {g.vrrp_version}",
        f"VRRP check unicast_src = {_bool(g.check_unicast_src)}",
        f"VRRP skip check advert addresses = {_bool(g.skip_check_adv_addr)}",
        f"VRRP strict mode = {_bool(g.strict)}",
        "Max auto priority = " + ("Disabled" if g.max_auto_priority == -1
                                  else str(g.max_auto_priority)),
        f"Min auto priority delay = {g.min_auto_priority_delay_us} usecs",
        *_scheduling_rows("VRRP", g.vrrp_scheduling),
        *_scheduling_rows("Checker", g.checker_scheduling),
        f"SNMP traps {'enabled' if g.enable_traps else 'disabled'}",
        f"Script security {'enabled' if g.script_security else 'disabled'}",
        "Default script uid:gid 0:0",
    ]
    return [f" {row}" for row in rows]


def _scheduling_rows(process: str, s: SchedulingSnapshot) -> list[str]:
    rows = [f"{process} process priority = {s.priority}",
            f"{process} don't swap = {_bool(s.no_swap)}",
            f"{process} realtime priority = {s.realtime_priority}"]
    if s.cpu_affinity:
        rows.append(f"{process} CPU Affinity = " + "".join(f"{cpu} " for cpu in s.cpu_affinity))
    return [*rows, f"{process} realtime limit = {s.rlimit_rt}"]


def _instance_lines(inst: InstanceSnapshot) -> list[str]:
    out = [f" VRRP Instance = {inst.name}", f"   VRRP Version = {inst.version}"]
    if inst.sync_group:
        out.append(f"   Sync group = {inst.sync_group}")
    if inst.family == 6:
        out.append("   Using Native IPv6")
    out.append(f"   State = {inst.state.value}")
    if inst.state is State.BACKUP:
        out += [f"   Master router = {inst.master_router}",
                f"   Master priority = {inst.master_priority}"]
        if inst.version == 3:
            out.append(f"   Master advert int = {inst.master_adver_int_cs / 100:.2f} sec")
    out += _flag_lines(inst)
    out += [
        f"   Wantstate = {inst.wantstate.value}",
        "   Number of config faults = 0",
        f"   Number of interface and track script faults = {_fault_count(inst)}",
        "   Number of track scripts init = 0",
        f"   Last transition = {_epoch(inst.last_transition or 0.0)}",
        "   Read timeout = " + ("DISABLED" if inst.read_timeout is None
                                else _epoch(inst.read_timeout)),
        f"   Master down timer = {inst.master_down_timer_us} usecs",
        f"   Interface = {inst.interface or 'not configured'}",
    ]
    out += _address_lines(inst)
    out += _garp_lines(inst)
    out += _priority_lines(inst)
    out += _auth_lines(inst)
    out += _list_lines(inst)
    out += _notify_lines(inst)
    return out


def _flag_lines(inst: InstanceSnapshot) -> list[str]:
    if not inst.any_flag:
        return ["   Flags: none"]
    out = ["   Flags:"]
    if inst.unicast_peers:
        out.append("     Using unicast")
    if inst.unicast_fault_no_peer:
        out.append("     If unicast go to fault state if no peers")
    return out


def _fault_count(inst: InstanceSnapshot) -> int:
    return 1 if inst.state is State.FAULT else 0


def _address_lines(inst: InstanceSnapshot) -> list[str]:
    out: list[str] = []
    if inst.dont_track_primary:
        out.append("   VRRP interface tracking disabled")
    if inst.skip_check_adv_addr:
        out.append("   Skip checking advert IP addresses")
    if inst.strict_mode:
        out.append("   Enforcing strict VRRP compliance")
    source = inst.src_ip or "(none)"
    out.append(f"   Using src_ip = {source}{' (from configuration)' * inst.src_from_config}")
    if not inst.unicast_peers:
        suffix = "" if inst.family == 4 else ", ifindex 0"
        out.append(f"   Multicast address {inst.mcast_address}{suffix}")
    return out


def _garp_lines(inst: InstanceSnapshot) -> list[str]:
    return [
        f"   Gratuitous ARP delay = {inst.garp_delay_s}",
        f"   Gratuitous ARP repeat = {inst.garp_repeat}",
        f"   Gratuitous ARP refresh = {inst.garp_refresh_s}",
        f"   Gratuitous ARP refresh repeat = {inst.garp_refresh_repeat}",
        f"   Gratuitous ARP lower priority delay = {inst.garp_lower_prio_delay_s}",
        f"   Gratuitous ARP lower priority repeat = {inst.garp_lower_prio_repeat}",
        f"   Down timer adverts = {inst.down_timer_adverts}",
        "   Send advert after receive lower priority advert = "
        + ("false" if inst.lower_prio_no_advert else "true"),
        "   Send advert after receive higher priority advert = "
        + _bool(inst.higher_prio_send_advert),
    ]


def _priority_lines(inst: InstanceSnapshot) -> list[str]:
    if inst.version == 2:
        interval = f"{inst.adver_int_cs // 100} sec"
    else:
        interval = f"{inst.adver_int_cs * 10} milli-sec"
    out = [
        f"   Virtual Router ID = {inst.vrid}",
        f"   Priority = {inst.base_priority}",
        f"   Effective priority = {inst.effective_priority}",
        f"   Total priority = {inst.effective_priority}",
        f"   Advert interval = {interval}",
    ]
    if inst.state is State.BACKUP and inst.version == 3:
        out.append(f"   Master advert interval = {inst.master_adver_int_cs * 10} milli-sec")
    out += [f"   Accept = {'enabled' if inst.accept else 'disabled'}",
            f"   Preempt = {'disabled' if inst.nopreempt else 'enabled'}"]
    if inst.preempt_delay_s:
        out.append(f"   Preempt delay = {inst.preempt_delay_s:g} secs")
    out.append("   Promote_secondaries = "
               + ("enabled" if inst.promote_secondaries else "disabled"))
    return out


def _auth_lines(inst: InstanceSnapshot) -> list[str]:
    if inst.auth_type == 2:
        return ["   Authentication type = IPSEC_AH"]
    if inst.auth_type == 1:
        return ["   Authentication type = SIMPLE_PASSWORD", f"   Password = {inst.auth_data}"]
    return ["   Authentication type = none"] if inst.version == 2 else []


def _list_lines(inst: InstanceSnapshot) -> list[str]:
    out: list[str] = []
    if inst.debug:
        out.append(f"   Debug level = {inst.debug}")
    if inst.vips:
        out += [f"   Virtual IP ({len(inst.vips)}):", *(f"     {v}" for v in inst.vips)]
    if inst.evips:
        out += ["   Virtual IP Excluded :", *(f"     {v}" for v in inst.evips)]
    if inst.unicast_peers:
        if inst.unicast_ttl is not None:
            out.append(f"   Unicast TTL = {inst.unicast_ttl}")
        out.append(f"   Check unicast src : {'yes' if inst.check_unicast_src else 'no'}")
        out += ["   Unicast Peer :", *(f"     {peer}" for peer in inst.unicast_peers)]
    if inst.socket_fds is None:
        out.append("   No sockets allocated")
    else:
        out.append(f"   fd_in {inst.socket_fds[0]}, fd_out {inst.socket_fds[1]}")
    for title, items in (("Virtual Routes", inst.vroutes), ("Virtual Rules", inst.vrules)):
        if items:
            out += [f"   {title} :", *(f"     {item}" for item in items)]
    if inst.track_interfaces:
        out += ["   Tracked interfaces :",
                *(f"     {name} weight {weight}" for name, weight in inst.track_interfaces)]
    if inst.track_scripts:
        out += ["   Tracked scripts :",
                *(f"     {ts.name} weight {ts.weight}{' reverse' * ts.reverse}"
                  for ts in inst.track_scripts)]
    return out


def _notify_lines(inst: InstanceSnapshot) -> list[str]:
    out = [f"   Using smtp notification = {'yes' if inst.smtp_alert else 'no'}",
           f"   Notify deleted = {'Deleted' if inst.notify_deleted else 'Fault'}"]
    out += [f"   {entry.word} state transition script = {entry.command}, uid:gid 0:0"
            for entry in inst.notify_scripts]
    out.append("   Notify priority changes = false")
    return out


def _script_lines(script: ScriptSnapshot) -> list[str]:
    return [
        f" VRRP Script = {script.name}",
        f"   Command = {script.command}",
        f"   Interval = {script.interval_s} sec",
        f"   Timeout = {script.timeout_s} sec",
        f"   Weight = {script.weight}{' reverse' * script.weight_reverse}",
        f"   Rise = {script.rise}",
        f"   Fall = {script.fall}",
        f"   Result = {script.result}",
        "   Insecure = no",
        f"   Init state = {script.init_state}",
        f"   Status = {script.status}",
        "   Script uid:gid = 0:0",
        "   VRRP instances :",
        "   Tracking instances :",
        *(f"     {name}, weight {weight}" for name, weight in script.tracking),
        "   State = idle",
    ]


def _epoch(seconds: float) -> str:
    """keepalived's `sec.usec (Www Mmm dd hh:mm:ss.usec yyyy)`, in local time like ctime."""
    whole = int(seconds)
    usec = round((seconds - whole) * 1_000_000)
    if usec == 1_000_000:
        whole, usec = whole + 1, 0
    local = time.localtime(whole)
    stamp = time.asctime(local)[:19]  # asctime pads the day with a space: "Dec  7"
    return f"{whole}.{usec:06d} ({stamp}.{usec:06d} {local.tm_year})"


def _bool(flag: bool) -> str:
    """keepalived's data dump prints booleans the way its JSON writer does."""
    return "true" if flag else "false"


# ------------------------------------------------------------------ the one I/O piece
def render(kind: str, snapshot: DumpSnapshot) -> str:
    renderers = {"data": render_data, "stats": render_stats, "json": render_json,
                 "status": encode_status}
    if kind not in renderers:
        raise ValueError(f"unknown dump kind {kind!r}: expected one of {sorted(renderers)}")
    return renderers[kind](snapshot)


def dump_on_signal(kind: str, snapshot: DumpSnapshot,
                   directory: str | os.PathLike[str] = "/tmp") -> list[Path]:
    """The daemon's seam: SIGUSR1 -> "data", SIGUSR2 -> "stats", SIGRTMIN+2 -> "json".

    "json" also writes our status file, which `pykeepalived status` prefers; it is
    written first, so a client that sees keepalived.json fresh finds ours fresh too.
    """
    kinds = ["status", kind] if kind == "json" else [kind]
    return [write_dump(k, render(k, snapshot), directory) for k in kinds]


def write_dump(kind: str, text: str, directory: str | os.PathLike[str] = "/tmp") -> Path:
    """Write keepalived's file for `kind` atomically, mode 0600; returns its path."""
    if kind not in DUMP_FILES:
        raise ValueError(f"unknown dump kind {kind!r}: expected one of {sorted(DUMP_FILES)}")
    return write_named(DUMP_FILES[kind], text, directory)


def write_named(name: str, text: str, directory: str | os.PathLike[str] = "/tmp") -> Path:
    """Write `directory/name` atomically (temp file + rename), mode 0600, as keepalived's
    dumps are; the checker's files go through here too.

    A reader polling the file (exporters sleep 10 ms and read) sees either the old or the
    new dump, never a torn one.
    """
    target = Path(directory) / name
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
