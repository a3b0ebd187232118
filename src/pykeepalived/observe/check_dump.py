"""keepalived's `keepalived_check.data` (SIGUSR1 to the checker), from a `CheckSnapshot`.

Line for line keepalived 2.2.7's layout, so that whatever reads keepalived's checker
dump reads ours: dump_global_data as the checker process writes it (no "Default
interface", the lower-priority GARP settings unresolved, the LVS lines filled in), then
check_data.c dump_check_data: SSL, the LVS topology (groups, virtual servers with their
real servers), the checkers queue (check_api.c dump_checker and each type's dump
function) and the track files. The expected texts of the tests were captured from
keepalived 2.2.7 itself.

The global section reuses the VRRP dump's `render_globals` for the lines both processes
write the same way; the lines it does not model (process priorities, buffer sizes, SNMP
and DBus settings, nftables) are absent, as in keepalived.data. The per-checker blocks
are check_dump_checkers.py.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from pykeepalived.observe.check_dump_checkers import checker_lines, yes_no
from pykeepalived.observe.dumps import render_globals

if TYPE_CHECKING:
    from pykeepalived.config.model_check import Forwarding
    from pykeepalived.observe.check_snapshot import (
        CheckGlobals,
        CheckSnapshot,
        FifoView,
        GroupView,
        RealServerView,
        ScriptLine,
        TrackFileView,
        VirtualServerView,
    )

CHECK_DATA_FILE = "keepalived_check.data"

#: IP_VS_SVC_F_* bits the dump names
_HASHED, _ONEPACKET, _SCHED1, _SCHED2, _SCHED3 = 0x2, 0x4, 0x8, 0x10, 0x20
_PROTOCOLS = {6: "TCP", 17: "UDP", 132: "SCTP", 0: "none"}
_CHECKSUM_WORDS = {"nocsum": ", no checksum", "csum": ", checksum",
                   "remcsum": ", remote checksum"}


def render_check_data(snapshot: CheckSnapshot) -> str:
    """The whole file: dump_global_data, then dump_check_data."""
    lines = ["------< Global definitions >------", *check_globals(snapshot.globals)]
    if snapshot.ssl is not None:
        lines.append("------< SSL definitions >------")
        ssl = snapshot.ssl
        if not any((ssl.password, ssl.ca, ssl.certificate, ssl.key)):
            lines.append(" Using autogen SSL context")
        for label, value in (("Password", ssl.password), ("CA-file", ssl.ca),
                             ("Certificate file", ssl.certificate), ("Key file", ssl.key)):
            if value:
                lines.append(f" {label} : {value}")
    if snapshot.virtual_servers:
        lines += ["------< LVS Topology >------", " System is compiled with LVS v1.2.1"]
        for group in snapshot.groups:
            lines += _group_lines(group)
        for vs in snapshot.virtual_servers:
            lines += _vs_lines(vs)
    if snapshot.checkers:
        lines.append("------< Health checkers >------")
        for checker in snapshot.checkers:
            lines += checker_lines(checker)
    if snapshot.track_files:
        lines.append("------< Checker track files >------")
        for tf in snapshot.track_files:
            lines += _track_file_lines(tf)
    return "".join(f"{line}\n" for line in lines)


# ------------------------------------------------------------------ globals


def check_globals(g: CheckGlobals) -> list[str]:
    """The VRRP dump's global lines, edited where the checker process differs."""
    out: list[str] = []
    for line in render_globals(g.base):
        key = line.partition(" = ")[0].strip()
        if key == "Default interface":
            continue  # written by the VRRP process only
        line = {
            "Default smtp_alert_checker":
                f" Default smtp_alert_checker = {_on_off(g.smtp_alert_checker)}",
            "Checkers log all failures":
                f" Checkers log all failures = {_bool(g.log_all_failures)}",
            "LVS flush": f" LVS flush = {_bool(g.lvs_flush)}",
            "LVS flush on stop": f" LVS flush on stop = {g.lvs_flush_on_stop}",
        }.get(key, line)
        out.append(line)
        if key == "Dynamic interfaces":
            out += _timeout_lines(g.lvs_timeouts)
        elif key == "Disable local IGMP":
            out += _syncd_lines(g)
        elif key == "LVS flush on stop":
            out += _fifo_lines("Global notify fifo", g.notify_fifo)
            out += _fifo_lines("VRRP notify fifo", g.vrrp_notify_fifo)
            out += _fifo_lines("LVS notify fifo", g.lvs_notify_fifo)
    out += [f" rs_init_notifies = {int(g.rs_init_notifies)}",
            f" no_checker_emails = {int(g.no_checker_emails)}"]
    return out


def _timeout_lines(timeouts: tuple[int | None, int | None, int | None]) -> list[str]:
    """keepalived labels the UDP timeout `LVS TCP timeout` too."""
    labels = ("LVS TCP timeout", "LVS TCP FIN timeout", "LVS TCP timeout")
    return [f" {label} = {value}" for label, value in zip(labels, timeouts, strict=True)
            if value]


def _syncd_lines(g: CheckGlobals) -> list[str]:
    syncd = g.syncd
    if syncd is None:
        return []
    out = [f" LVS syncd vrrp name = {syncd.vrrp_name}"] if syncd.vrrp_name else []
    out += [f" LVS syncd interface = {syncd.interface}", f" LVS syncd syncid = {syncd.syncid}"]
    if syncd.maxlen:
        out.append(f" LVS syncd maxlen = {syncd.maxlen}")
    if syncd.group is not None:
        out.append(f" LVS mcast group {syncd.group}")
    if syncd.port:
        out.append(f" LVS syncd mcast port = {syncd.port}")
    if syncd.ttl:
        out.append(f" LVS syncd mcast ttl = {syncd.ttl}")
    return out


def _fifo_lines(title: str, fifo: FifoView | None) -> list[str]:
    if fifo is None:
        return []
    out = [f" {title} = {fifo.path}, uid:gid 0:0"]
    if fifo.script is not None:
        out.append(f" {title} script = {_script(fifo.script)}")
    return out


# ------------------------------------------------------------------ LVS topology


def _group_lines(group: GroupView) -> list[str]:
    out = [" ------< Virtual server group >------",
           f" Virtual Server Group = {group.name}, IPv4 = {yes_no(group.have_ipv4)},"
           f" IPv6 = {yes_no(group.have_ipv6)}"]
    for entry in group.entries:
        if entry.fwmark is not None:
            family = {4: " IPv4", 6: " IPv6"}.get(entry.family or 0, "")
            out += [f"   FWMARK = {entry.fwmark}{family}",
                    f"     Alive: {entry.alive[0]} IPv4, {entry.alive[1]} IPv6"]
        else:
            if entry.first != entry.last:
                out.append(f"   VIP Range = {entry.first}-{entry.last}, VPORT = {entry.port}")
            else:
                out.append(f"   VIP = {entry.first}, VPORT = {entry.port}")
            tcp, udp, sctp = entry.alive
            out.append(f"     Alive: {tcp} tcp, {udp} udp, {sctp} sctp")
        out.append(f"     reloaded = {entry.reloaded}")
    return out


def _vs_lines(vs: VirtualServerView) -> list[str]:
    out = [" ------< Virtual server >------"]
    if vs.kind == "group":
        out.append(f" VS GROUP = {vs.label}")
    elif vs.kind == "fwmark":
        out.append(f" VS FWMARK = {vs.fwmark}")
    else:
        out.append(f" VS VIP = {vs.address}, VPORT = {vs.port}")
    if vs.virtualhost:
        out.append(f"   VirtualHost = {vs.virtualhost}")
    if vs.family is not None:
        out.append(f"   Address family = inet{'6' * (vs.family == 6)}")
    else:
        out.append("   Address family = "
                   + ("IPv4 & IPv6" if vs.group_both_families else "unknown"))
    out += [f"   connection timeout = {_decimal(vs.connect_timeout_us)}",
            f"   delay_loop = {_decimal(vs.delay_loop_us)}", f"   lvs_sched = {vs.scheduler}",
            f"   Hashed = {_abled(vs.flags & _HASHED)}"]
    out += _scheduler_flags(vs.scheduler, vs.flags)
    inactive = " (inactive due to not UDP)" if vs.flags & _ONEPACKET and vs.protocol != 17 else ""
    out.append(f"   One packet scheduling = {_abled(vs.flags & _ONEPACKET)}{inactive}")
    if vs.persistence_timeout:
        out.append(f"   persistence timeout = {vs.persistence_timeout}")
    if vs.persistence_granularity is not None:
        granularity = (str(vs.persistence_granularity) if vs.family == 6
                       else str(IPv4Address(vs.persistence_granularity)))
        out.append(f"   persistence granularity = {granularity}")
    out += [f"   protocol = {_PROTOCOLS.get(vs.protocol, str(vs.protocol))}",
            f"   alpha is {_on(vs.alpha)}", f"   omega is {_on(vs.omega)}"]
    out += _optional_timing(vs.retry, vs.delay_before_retry_us, vs.warmup_us)
    out += [f"   Inhibit on failure is {_on(vs.inhibit)}",
            f"   quorum = {vs.quorum}, hysteresis = {vs.hysteresis}"]
    if vs.quorum_up_script is not None:
        out.append(f"   Quorum up notify script = {_script(vs.quorum_up_script)}")
    if vs.quorum_down_script is not None:
        out.append(f"   Quorum down notify script = {_script(vs.quorum_down_script)}")
    if vs.ha_suspend:
        out.append("   Using HA suspend")
    out.append(f"   Using smtp notification = {yes_no(vs.smtp_alert)}")
    if vs.forwarding is not None:
        out.append(_forwarding("default ", vs.forwarding))
    if vs.sorry is not None:
        duplicates = "(duplicates rs) " if vs.sorry.duplicates_rs else ""
        out += [f"   sorry server {duplicates}= {vs.sorry.text}",
                _forwarding("  ", vs.sorry.forwarding),
                f"     Inhibit on failure is {_on(vs.sorry.inhibit)}"]
    out += [f"   alive = {int(vs.alive)}", f"   quorum_state_up = {int(vs.quorum_up)}",
            f"   reloaded = {int(vs.reloaded)}"]
    for rs in vs.real_servers:
        out += _rs_lines(rs)
    return out


def _scheduler_flags(scheduler: str, flags: int) -> list[str]:
    """sh and mh name their two flags; every other scheduler shows flag-1..3."""
    if scheduler in ("sh", "mh"):
        return [f"   {scheduler}-port = {_abled(flags & _SCHED2)}",
                f"   {scheduler}-fallback = {_abled(flags & _SCHED1)}"]
    return [f"   flag-{n} = {_abled(flags & bit)}"
            for n, bit in ((1, _SCHED1), (2, _SCHED2), (3, _SCHED3))]


def _rs_lines(rs: RealServerView) -> list[str]:
    out = ["   ------< Real server >------",
           f"   RIP = {rs.address}, RPORT = {rs.port}, WEIGHT = {rs.weight}"
           f" EFF WEIGHT = {rs.effective}",
           _forwarding("", rs.forwarding), f"   Alpha is {_on(rs.alpha)}",
           f"   connection timeout = {_decimal(rs.connect_timeout_us)}",
           f"   connection limit range = {rs.l_threshold} -> {rs.u_threshold}",
           f"   Delay loop = {_decimal(rs.delay_loop_us)}"]
    out += _optional_timing(rs.retry, rs.delay_before_retry_us, rs.warmup_us)
    out.append(f"   Inhibit on failure is {_on(rs.inhibit)}")
    if rs.notify_up is not None:
        out.append(f"     RS up notify script = {_script(rs.notify_up)}")
    if rs.notify_down is not None:
        out.append(f"     RS down notify script = {_script(rs.notify_down)}")
    if rs.virtualhost:
        out.append(f"    VirtualHost = '{rs.virtualhost}'")
    out += [f"   Using smtp notification = {yes_no(rs.smtp_alert)}",
            f"   initial weight = {rs.iweight}", f"   effective weight = {rs.effective}",
            f"   previous effective_weight = {rs.previous}", f"   alive = {int(rs.alive)}",
            f"   num failed checkers = {rs.failed}", f"   RS set = {int(rs.set)}",
            f"   reloaded = {int(rs.reloaded)}"]
    if rs.track_files:
        out.append("   Tracked Files")
        out += [f"     {name}, weight {weight}{' reverse' * reverse}"
                for name, weight, reverse in rs.track_files]
    return out


def _optional_timing(retry: int | None, delay_before_retry_us: int | None,
                     warmup_us: int | None) -> list[str]:
    out = [] if retry is None else [f"   Retry count = {retry}"]
    if delay_before_retry_us is not None:
        out.append(f"   Retry delay = {_decimal(delay_before_retry_us)}")
    if warmup_us is not None:
        out.append(f"   Warmup = {_decimal(warmup_us)}")
    return out


def _forwarding(prefix: str, fwd: Forwarding) -> str:
    """dump_forwarding_method, including its GUE line that drops the prefix."""
    head = f"   {prefix}forwarding method = "
    if fwd.method != "TUN":
        return f"{head}{fwd.method}"
    checksum = _CHECKSUM_WORDS[fwd.checksum]
    if fwd.tunnel_type == "gue":
        return (f"   forwarding method = TUN, type = GUE, port = {fwd.tunnel_port}"
                f"{checksum}")
    if fwd.tunnel_type == "gre":
        return f"{head}TUN, type = GRE{checksum}"
    return f"{head}TUN, type = IPIP"


def _track_file_lines(tf: TrackFileView) -> list[str]:
    out = [f" Track file = {tf.name}", f"   File = {tf.path}", f"   Status = {tf.status}",
           f"   Weight = {tf.weight}{' reverse' * tf.reverse}", "   Tracking instances :"]
    return out + [f"     {vs} -> {rs}, weight {weight}{' reverse' * reverse}"
                  for vs, rs, weight, reverse in tf.tracking]


# ------------------------------------------------------------------ words


def _decimal(micro: int) -> str:
    """format_decimal(val, 6): seconds with six decimals, from microseconds."""
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"


def _script(script: ScriptLine) -> str:
    return f"{script.command}, uid:gid {script.uid}:{script.gid}"


def _abled(flag: int | bool) -> str:
    return "enabled" if flag else "disabled"


def _on(flag: bool) -> str:
    return "ON" if flag else "OFF"


def _bool(flag: bool) -> str:
    return "true" if flag else "false"


def _on_off(flag: bool | None) -> str:
    return "unset" if flag is None else "on" if flag else "off"
