"""global_defs' check-module keywords (lvs_*, checker_*) and the per-instance
lvs_sync_daemon_interface, with keepalived/core/global_parser.c's words."""

from __future__ import annotations

from pykeepalived.config import check_values, values
from pykeepalived.config.model_check import LvsSyncDaemon
from pykeepalived.config.schema import Ctx, Fields, Handler, NodeLike, arg, flag
from pykeepalived.config.schema_script import make_script

__all__ = ["LVS_GLOBALS", "instance_syncd_interface"]

#: LVS_MAX_TIMEOUT: 31 days, the limit of lvs_timeouts and persistence_timeout
LVS_MAX_TIMEOUT = 86400 * 31
#: IP_VS_IFNAME_MAXLEN
_IFNAME_MAX = 16
#: 65535 - IPv4 header - UDP header
_SYNC_MAXLEN = 65535 - 20 - 8


def _flush_on_stop(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        fields["lvs_flush_on_stop"] = "full"
    elif node.args[0] == "VS":
        fields["lvs_flush_on_stop"] = "VS"
    else:
        ctx.error(f"Unknown lvs_flush_on_stop type {node.args[0]}", node.location)


def _timeouts(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    words = node.args
    if len(words) < 2:
        ctx.error("lvs_timeouts requires at least one option", node.location)
        return
    index = 0
    while index < len(words):
        option = words[index]
        if option not in ("tcp", "tcpfin", "udp"):
            ctx.error(f"Unknown option {option} specified for lvs_timeouts", node.location)
            index += 1
            continue
        if index == len(words) - 1:
            ctx.error(f"No value specified for lvs_timeout {option} - ignoring", node.location)
            index += 1
            continue
        raw = words[index + 1]
        value = values.read_unsigned(raw, 0, LVS_MAX_TIMEOUT, ctx.reporter(node.location))
        if value is None:
            ctx.error(f"Invalid lvs_timeout {option} ({raw}) - ignoring", node.location)
        else:
            fields[f"lvs_timeout_{option}"] = value
        index += 2


#: lvs_sync_daemon's numeric options: (low, high, what keepalived says when bad)
_SYNC_OPTIONS = {
    "id": ("sync_id", 0, 255, "Invalid syncid ({}) - defaulting to vrid",
           "No value specified for lvs_sync_daemon id, defaulting to vrid"),
    "maxlen": ("max_len", 1, _SYNC_MAXLEN, "Invalid lvs_sync_daemon maxlen ({}) - ignoring",
               "No value specified for lvs_sync_daemon maxlen - ignoring"),
    "port": ("port", 1, 65535, "Invalid lvs_sync_daemon port ({}) - ignoring",
             "No value specified for lvs_sync_daemon port - ignoring"),
    "ttl": ("ttl", 1, 255, "Invalid lvs_sync_daemon ttl ({}) - ignoring",
            "No value specified for lvs_sync_daemon ttl - ignoring"),
}


def _sync_daemon(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    """`lvs_sync_daemon IF [inst NAME] [id N] [maxlen N] [port N] [ttl N] [group ADDR]`
    (and the legacy positional `IF NAME [SYNCID]`)."""
    held: LvsSyncDaemon | None = fields.get("lvs_sync_daemon")
    if held is not None:
        ctx.error(f"lvs_sync_daemon has already been specified as {held.interface} "
                  f"{held.instance or ''} - ignoring", node.location)
        return
    if not node.args:
        ctx.error("lvs_sync_daemon requires interface", node.location)
        return
    if len(node.args[0]) >= _IFNAME_MAX:
        ctx.error(f"lvs_sync_daemon interface name '{node.args[0]}' too long - ignoring",
                  node.location)
        return
    got: Fields = {"interface": node.args[0], "location": node.location}
    index = 1
    while index < len(node.args):
        index = _sync_option(ctx, node, index, got)
    fields["lvs_sync_daemon"] = LvsSyncDaemon(**got)


def _sync_option(ctx: Ctx, node: NodeLike, index: int, got: Fields) -> int:
    """Read the option at `index` (into `got`); the index of the next one."""
    word, words, report = node.args[index], node.args, ctx.reporter(node.location)
    if word == "inst":
        if got.get("instance") is not None:
            ctx.error("lvs_sync_daemon vrrp instance has already been specified as "
                      f"{got['instance']} - ignoring", node.location)
        else:
            got["instance"] = arg(ctx, node, index + 1)
        return index + 2
    if word in _SYNC_OPTIONS:
        name, low, high, invalid, missing = _SYNC_OPTIONS[word]
        if index == len(words) - 1:
            ctx.error(missing, node.location)
            return index + 1
        value = values.read_unsigned(words[index + 1], low, high, report)
        if value is None:
            ctx.error(invalid.format(words[index + 1]), node.location)
        else:
            got[name] = value
        return index + 2
    if word == "group":
        _sync_group(ctx, node, index, got)
        return index + (1 if index == len(words) - 1 else 2)
    if index == 1:
        got["instance"] = word
    elif index == 2:
        value = values.read_unsigned(word, 0, 255, report)
        if value is None:
            ctx.error(f"Invalid syncid ({word}) - defaulting to vrid", node.location)
        else:
            ctx.error('Please use keyword "id" before lvs_sync_daemon SYNCID', node.location)
            got["sync_id"] = value
    else:
        ctx.error(f"Unknown option {word} specified for lvs_sync_daemon", node.location)
    return index + 1


def _sync_group(ctx: Ctx, node: NodeLike, index: int, got: Fields) -> None:
    if index == len(node.args) - 1:
        ctx.error("No value specified for lvs_sync_daemon group - ignoring", node.location)
        return
    raw = node.args[index + 1]
    parsed = check_values.sockaddr(raw, None, ctx.reporter(node.location))
    if parsed is None:
        ctx.error(f"Invalid lvs_sync_daemon group ({raw}) - ignoring", node.location)
    elif not parsed[0].is_multicast:
        ctx.error(f"lvs_sync_daemon group address {raw} is not multicast - ignoring",
                  node.location)
    else:
        got["group"] = parsed[0]


def _fifo(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        ctx.error("No lvs_notify_fifo name specified", node.location)
    elif fields.get("lvs_notify_fifo") is not None:
        ctx.error(f"lvs_notify_fifo already specified - ignoring {node.args[0]}",
                  node.location)
    else:
        fields["lvs_notify_fifo"] = node.args[0]
        fields["lvs_notify_fifo_location"] = node.location
        if len(node.args) > 1:
            fields["lvs_notify_fifo_account"] = (node.args[1], (*node.args[2:3], None)[0])


def _fifo_script(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        ctx.error("No lvs_notify_fifo_script specified", node.location)
    elif fields.get("lvs_notify_fifo_script") is not None:
        ctx.error(f"lvs_notify_fifo_script already specified - ignoring {node.args[0]}",
                  node.location)
    else:
        command = make_script(ctx, node)
        if command is not None and command.command:
            fields["lvs_notify_fifo_script"] = command


def _global_bool(name: str, invalid: str | None = None) -> Handler:
    """An optional BOOL, read case-sensitively as the check module's globals are."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        value = check_values.read_bool(node.args[0]) if node.args else True
        if value is None:
            ctx.error(invalid or f"Invalid value '{node.args[0]}' for global {name} specified",
                      node.location)
            return
        fields[name] = value

    return handle


LVS_GLOBALS: dict[str, Handler] = {
    "lvs_flush": flag("lvs_flush"),
    "lvs_flush_on_stop": _flush_on_stop,
    "lvs_flush_onstop": _flush_on_stop,
    "lvs_timeouts": _timeouts,
    "lvs_sync_daemon": _sync_daemon,
    "lvs_notify_fifo": _fifo,
    "lvs_notify_fifo_script": _fifo_script,
    "checker_log_all_failures": _global_bool(
        "checker_log_all_failures", "Invalid value for checker_log_all_failures specified"),
    "rs_init_notifies": _global_bool("rs_init_notifies"),
    "no_checker_emails": _global_bool("no_checker_emails"),
    "smtp_alert_checker": _global_bool("smtp_alert_checker"),
}


def instance_syncd_interface(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    """A vrrp_instance's deprecated `lvs_sync_daemon_interface IF`: always reported;
    whether it is used (no global lvs_sync_daemon) is decided in resolve_check.py."""
    name = fields.get("name", "")
    ctx.error(f"({name}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.",
              node.location)
    ctx.error(f"      {' ' * abs(len(name) - 2)}Please use global lvs_sync_daemon",
              node.location)
    fields["lvs_sync_daemon_interface"] = (arg(ctx, node), node.location)
