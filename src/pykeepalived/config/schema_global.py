"""global_defs: the keywords a HAProxy pair uses modelled, the rest recognised.

Wording follows keepalived/core/global_parser.c of 2.2.7.
"""

from __future__ import annotations

from pykeepalived.config import values
from pykeepalived.config.schema import (
    Block,
    Ctx,
    Fields,
    Handler,
    NodeLike,
    arg,
    boolean,
    decimal,
    flag,
    lines,
    recognise,
    text,
    unsigned,
)
from pykeepalived.config.schema_lvs import LVS_GLOBALS
from pykeepalived.config.schema_process import PROCESS_GLOBALS
from pykeepalived.config.schema_script import script
from pykeepalived.config.schema_snmp import SNMP_GLOBALS
from pykeepalived.config.values import TIMER_HZ
from pykeepalived.constants import INT_MAX, UINT_MAX


def _smtp_server(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    # An IP literal is taken as is; a host name must resolve (a host fact, asked
    # through ctx.resolves), as keepalived asks getaddrinfo while parsing.
    # keepalived reads the port once as an IP literal's and once as a host name's (a
    # word with '-' or '/' is only tried as a host name), each read reporting a bad
    # port; a bad port leaves no smtp server at all, an earlier one included.
    server = arg(ctx, node)
    port = node.args[1] if len(node.args) > 1 else "25"
    reads = 1 if ("-" in server or "/" in server) else 2
    number = None
    for _ in range(reads):
        number = values.read_unsigned(port, 1, 65535, ctx.reporter(node.location))
    if number is None or (values.parse_ip(server) is None and not ctx.resolves(server)):
        ctx.error(f"Invalid smtp server {server} {port}", node.location)
        for name in ("smtp_server", "smtp_location", "smtp_port"):
            fields.pop(name, None)
        return
    fields["smtp_server"] = server
    fields["smtp_location"] = node.location
    fields["smtp_port"] = number


def _smtp_timeout(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    raw = arg(ctx, node)
    hi = UINT_MAX // TIMER_HZ
    value = values.read_unsigned(raw, 0, hi, ctx.reporter(node.location))
    if value is None:
        ctx.error(f"smtp_connect_timeout '{raw}' must be in [0, {hi}] - ignoring", node.location)
        return
    if value == 0:
        ctx.error("smtp_conect_timeout must be greater than 0, setting to 1", node.location)
        value = 1
    fields["smtp_connect_timeout"] = value


def _script_user(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    fields["script_user"] = arg(ctx, node)
    fields["script_user_location"] = node.location  # scripts read before it ignore it
    if len(node.args) > 1:
        fields["script_group"] = node.args[1]


def _vrrp_version(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    value = values.read_int(arg(ctx, node), 2, 3, ctx.reporter(node.location))
    if value is None:
        ctx.error("VRRP Error: Version must be either 2 or 3", node.location)
        return
    fields["vrrp_version"] = value


def _mcast_group(name: str, version: int) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        raw = arg(ctx, node)
        address = values.parse_ip(raw)
        if address is None:
            ctx.error(f"Can't parse {name} [{raw}]. Skipping", node.location)
        elif address.version != version:
            ctx.error(f"{name} [{raw}] is not IPv{version}. Skipping", node.location)
        elif not address.is_multicast:
            ctx.error(f"{name} [{raw}] is not multicast. Skipping", node.location)
        else:
            fields[name] = address

    return handle


def garp_repeat(name: str, *, instance: bool = False) -> Handler:
    """A gratuitous-ARP repeat count: [0, UINT_MAX], 0 becomes 1 (with a complaint). In a
    vrrp_instance keepalived prefixes its words with "(NAME): "."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        raw = arg(ctx, node)
        who = f"({fields.get('name', '')}): " if instance else ""
        value = values.read_unsigned(raw, 0, UINT_MAX, ctx.reporter(node.location))
        if value is None:
            ctx.error(f"{who}{name} '{raw}' invalid - ignoring", node.location)
            return
        if value == 0:
            ctx.error(f"{who}{name} must be greater than 0, setting to 1", node.location)
            value = 1
        fields[name] = value

    return handle


def garp_refresh(name: str, invalid: str) -> Handler:
    """A refresh period in seconds, [0, UINT_MAX]; a bad one is complained about and
    turns the refresh off (0), as keepalived does, rather than being ignored."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        raw = arg(ctx, node)
        value = values.read_unsigned(raw, 0, UINT_MAX, ctx.reporter(node.location))
        if value is None:
            ctx.error(invalid.format(name=fields.get("name", ""), value=raw), node.location)
            value = 0
        fields[name] = value

    return handle


def _max_auto_priority(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        fields["max_auto_priority"] = 99
        return
    value = values.read_int(node.args[0], -1, 99, ctx.reporter(node.location))
    if value is None:
        ctx.error(f"max_auto_priority '{node.args[0]}' must be in [0, 99] (or -1 to disable)"
                  " - ignoring", node.location)
        return
    fields["max_auto_priority"] = value


def _optional_text(name: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        fields[name] = node.args[0] if node.args else ""

    return handle


def _dynamic_interfaces(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    fields["dynamic_interfaces"] = True
    ctx.dynamic_interfaces = True  # routes and rules read after this take any device
    if node.args and node.args[0] != "allow_if_changes":
        ctx.error(f"Unknown dynamic_interfaces option '{node.args[0]}'", node.location)


def _smtp_alert(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        fields["smtp_alert"] = True
        return
    value = values.read_bool(node.args[0])
    if value is None:
        ctx.error(f"Invalid value '{node.args[0]}' for global smtp_alert specified", node.location)
        return
    fields["smtp_alert"] = value


def _metrics_address(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    """pykeepalived's extension: `pykeepalived_metrics_address [ADDRESS:]PORT` turns the
    metrics endpoint on (a bare port: loopback). keepalived 2.2.7 does not know it
    ("Unknown keyword", and `-t` exits 5), so a file shared with keepalived should use
    the `--metrics-address` flag instead (docs/operations.md)."""
    raw = arg(ctx, node)
    host, sep, port = raw.rpartition(":")
    if not port.isdigit() or int(port) > 65535 or (sep and not host):
        ctx.error(f"pykeepalived_metrics_address '{raw}' is invalid: expected PORT,"
                  " ADDRESS:PORT or [ADDRESS]:PORT", node.location)
        return
    fields["metrics_address"] = raw


_GARP_DELAY_HI = UINT_MAX // TIMER_HZ

GLOBAL_DEFS = Block(
    keywords={
        "router_id": text("router_id"),
        "pykeepalived_metrics_address": _metrics_address,
        "notification_email": lines("notification_email"),
        "notification_email_from": text("notification_email_from"),
        "smtp_server": _smtp_server,
        "smtp_helo_name": text("smtp_helo_name"),
        "smtp_connect_timeout": _smtp_timeout,
        "smtp_alert": _smtp_alert,
        "enable_traps": flag("enable_traps"),
        "script_user": _script_user,
        "enable_script_security": flag("enable_script_security"),
        "vrrp_version": _vrrp_version,
        "vrrp_strict": flag("vrrp_strict"),
        "vrrp_skip_check_adv_addr": flag("vrrp_skip_check_adv_addr"),
        "vrrp_check_unicast_src": flag("vrrp_check_unicast_src"),
        "vrrp_mcast_group4": _mcast_group("vrrp_mcast_group4", 4),
        "vrrp_mcast_group6": _mcast_group("vrrp_mcast_group6", 6),
        "vrrp_garp_master_delay": unsigned("vrrp_garp_master_delay", 0, _GARP_DELAY_HI,
                                           "vrrp_garp_master_delay '{value}' invalid - ignoring"),
        "vrrp_garp_master_repeat": garp_repeat("vrrp_garp_master_repeat"),
        "vrrp_garp_master_refresh": garp_refresh(
            "vrrp_garp_master_refresh", "Invalid vrrp_garp_master_refresh '{value}' - ignoring"),
        "vrrp_garp_master_refresh_repeat": garp_repeat("vrrp_garp_master_refresh_repeat"),
        "vrrp_garp_lower_prio_delay": unsigned(
            "vrrp_garp_lower_prio_delay", 0, _GARP_DELAY_HI,
            "vrrp_garp_lower_prio_delay '{value}' invalid - ignoring"),
        "vrrp_garp_lower_prio_repeat": unsigned("vrrp_garp_lower_prio_repeat", 0, INT_MAX,
                                                "Invalid vrrp_garp_lower_prio_repeat '{value}'"),
        "vrrp_garp_interval": decimal("vrrp_garp_interval_us", 0, INT_MAX,
                                      "vrrp_garp_interval '{value}' is invalid"),
        "vrrp_gna_interval": decimal("vrrp_gna_interval_us", 0, INT_MAX,
                                     "vrrp_gna_interval '{value}' is invalid"),
        "vrrp_min_garp": boolean("vrrp_min_garp", "Invalid value for vrrp_min_garp specified"),
        "vrrp_lower_prio_no_advert": boolean("vrrp_lower_prio_no_advert"),
        "vrrp_higher_prio_send_advert": boolean("vrrp_higher_prio_send_advert"),
        "vrrp_down_timer_adverts": unsigned("vrrp_down_timer_adverts", 1, 100,
                                            "Invalid vrrp_down_timer_adverts [1:100] '{value}'"),
        "vrrp_startup_delay": decimal("vrrp_startup_delay_us", 0, 3600 * TIMER_HZ,
                                      "vrrp_startup_delay '{value}' is invalid"),
        "vrrp_iptables": lambda ctx, node, fields: fields.__setitem__("vrrp_iptables", node.args),
        "nftables": _optional_text("nftables"),
        "notify_fifo": text("notify_fifo"),
        "notify_fifo_script": script("notify_fifo_script"),
        "vrrp_notify_fifo": text("vrrp_notify_fifo"),
        "vrrp_notify_fifo_script": script("vrrp_notify_fifo_script"),
        "dynamic_interfaces": _dynamic_interfaces,
        "max_auto_priority": _max_auto_priority,
        "default_interface": text("default_interface"),
        "reload_check_config": _optional_text("reload_check_config"),
        "startup_script": script("startup_script"),
        "shutdown_script": script("shutdown_script"),
        **LVS_GLOBALS,
        **SNMP_GLOBALS,
        **PROCESS_GLOBALS,
    },
    recognised=recognise(
        "process_names", "process_name", "vrrp_process_name", "checker_process_name",
        "lvs_process_name", "bfd_process_name", "startup_script_timeout",
        "shutdown_script_timeout", "smtp_alert_vrrp",
        "no_email_faults", "disable_local_igmp", "vrrp_garp_extra_if", "vrrp_vmac_garp_intvl",
        "vrrp_ipsets", "nftables_priority", "nftables_ifindex", "nftables_ipvs",
        "nftables_ipvs_priority", "nftables_ipvs_start_fwmark", "nftables_counters",
        "vrrp_notify_priority_changes",
        "fifo_write_vrrp_states_on_reload", "bfd_priority", "bfd_no_swap",
        "bfd_rt_priority", "bfd_cpu_affinity", "bfd_rlimit_rttime", "bfd_rlimit_rtime",
        "enable_dbus",
        "dbus_service_name", "vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_cmd_rcv_bufs_force",
        "vrrp_netlink_monitor_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs_force",
        "process_monitor_rcv_bufs", "process_monitor_rcv_bufs_force",
        "lvs_netlink_cmd_rcv_bufs", "lvs_netlink_cmd_rcv_bufs_force",
        "lvs_netlink_monitor_rcv_bufs", "lvs_netlink_monitor_rcv_bufs_force",
        "vrrp_rx_bufs_policy", "vrrp_rx_bufs_multiplier", "log_unknown_vrids", "vmac_prefix",
        "vmac_addr_prefix",
        "umask", "random_seed", "reload_time_file", "reload_repeat", "reload_file",
        "include_check", "config_save_dir", "tmp_config_directory", "data_use_instance",
        "linkbeat_use_polling", "net_namespace", "net_namespace_ipvs", "namespace_with_ipsets",
        "use_pid_dir", "instance", "child_wait_time",
    ),
    value_blocks=recognise("notification_email"),
)
