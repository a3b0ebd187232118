"""vrrp_script, track_file, vrrp_track_process and vrrp_sync_group blocks.

A tracker becomes known (referable by later `track_*` blocks) when its block ends
valid, mirroring keepalived's end-of-block handlers that drop incomplete trackers.
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
    children,
    decimal,
    flag,
    lines,
    recognise,
    unsigned,
    walk,
)
from pykeepalived.config.schema_script import make_script, script
from pykeepalived.config.schema_vrrp import tracked_refs
from pykeepalived.config.values import TIMER_HZ
from pykeepalived.constants import INT_MAX, UINT_MAX


def _script_command(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    # keepalived takes only the second word as the command (quote it to pass arguments)
    command = make_script(ctx, node, with_user=False)
    if command is not None:
        fields["script"] = command


def _user(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    fields["user"] = arg(ctx, node)
    if len(node.args) > 1:
        fields["group"] = node.args[1]


def _weight(kind: str, lo: int, hi: int) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        raw = arg(ctx, node)
        weight = values.read_int(raw, lo, hi, ctx.reporter(node.location))
        if weight is None:
            ctx.error(f"{kind} {fields['name']} weight {raw} must be in [{lo}, {hi}]",
                      node.location)
            return
        fields["weight"] = weight
        if len(node.args) > 1:
            if node.args[1] == "reverse":
                fields["weight_reverse"] = True
            else:
                ctx.error(f"{kind} {fields['name']} unknown weight option {node.args[1]}",
                          node.location)

    return handle


VRRP_SCRIPT = Block(
    keywords={
        "script": _script_command,
        "interval": unsigned("interval", 0, UINT_MAX // TIMER_HZ,
                             "vrrp_script {name} interval '{value}' must be >= 1 - ignoring"),
        "timeout": unsigned("timeout", 0, UINT_MAX // TIMER_HZ,
                            "vrrp_script {name} timeout '{value}' invalid - ignoring"),
        "weight": _weight("vrrp_script", -253, 253),
        "rise": unsigned("rise", 1, INT_MAX,
                         "vrrp_script {name} rise value '{value}' invalid - defaulting to 1"),
        "fall": unsigned("fall", 1, INT_MAX,
                         "vrrp_script {name} fall value '{value}' invalid - defaulting to 1"),
        "user": _user,
        "init_fail": flag("init_fail"),
    },
)


def vrrp_script(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    name = node.args[0] if node.args else ""
    sub: Fields = {"name": name, "location": node.location}
    walk(ctx, VRRP_SCRIPT, children(node), sub)
    if "script" not in sub or not sub["script"].command:
        ctx.error(f"No script set for vrrp_script {name} - removing", node.location)
        return
    if sub.get("interval") == 0:
        sub["interval"] = 1
    ctx.known.setdefault("script", set()).add(name)
    fields.setdefault("vrrp_scripts", []).append(sub)


def _init_file(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    fields["init_file"] = node.args


TRACK_FILE = Block(
    keywords={
        "file": lambda ctx, node, fields: fields.__setitem__("file", arg(ctx, node)),
        "weight": _weight("track_file", -254, 254),
        "init_file": _init_file,
    },
)


def track_file(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    name = node.args[0] if node.args else ""
    sub: Fields = {"name": name, "location": node.location}
    walk(ctx, TRACK_FILE, children(node), sub)
    if "file" not in sub:
        ctx.error(f"No file set for track_file {name} - ignoring", node.location)
        return
    ctx.known.setdefault("file", set()).add(name)
    fields.setdefault("track_files", []).append(sub)


def _process(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    fields["process"] = node.args


TRACK_PROCESS = Block(
    keywords={
        "process": _process,
        "param_match": lambda ctx, node, fields: fields.__setitem__("param_match",
                                                                    arg(ctx, node)),
        "weight": _weight("vrrp_track_process", -254, 254),
        "quorum": unsigned("quorum", 1, 65535),
        "quorum_max": unsigned("quorum_max", 0, 65535),
        "delay": decimal("delay_us", 1, 3600 * TIMER_HZ),
        "terminate_delay": decimal("terminate_delay_us", 1, 3600 * TIMER_HZ),
        "fork_delay": decimal("fork_delay_us", 1, 3600 * TIMER_HZ),
        "full_command": flag("full_command"),
    },
)


def vrrp_track_process(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    name = node.args[0] if node.args else ""
    sub: Fields = {"name": name, "location": node.location}
    walk(ctx, TRACK_PROCESS, children(node), sub)
    if not sub.get("process"):
        ctx.error(f"track process '{name}' process name not specified", node.location)
        return
    ctx.known.setdefault("process", set()).add(name)
    fields.setdefault("track_processes", []).append(sub)


SYNC_GROUP = Block(
    keywords={
        "group": lines("members"),
        "notify_master": script("notify_master"),
        "notify_backup": script("notify_backup"),
        "notify_fault": script("notify_fault"),
        "notify_stop": script("notify_stop"),
        "notify": script("notify"),
        "smtp_alert": boolean("smtp_alert", "Invalid vrrp_group smtp_alert parameter {value}"),
        "global_tracking": flag("sync_group_tracking_weight"),
        "sync_group_tracking_weight": flag("sync_group_tracking_weight"),
        "track_script": tracked_refs("track_scripts", "track script", "script"),
        "track_interface": tracked_refs("track_interfaces", "track_interface", None),
        "track_file": tracked_refs("track_files", "track file", "file"),
        "track_process": tracked_refs("track_processes", "track process", "process"),
    },
    recognised=recognise("track_bfd", "notify_priority_changes"),
    value_blocks=recognise("group", "track_interface", "track_script", "track_file",
                           "track_process", "track_bfd"),
)


def vrrp_sync_group(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    name = node.args[0] if node.args else ""
    sub: Fields = {"name": name, "location": node.location}
    walk(ctx, SYNC_GROUP, children(node), sub)
    fields.setdefault("sync_groups", []).append(sub)
