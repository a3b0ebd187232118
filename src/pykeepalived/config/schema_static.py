"""Static addresses/routes/rules and the top level of keepalived.conf.

ROOT is the table of every top-level keyword keepalived 2.2.7 installs; blocks for
subsystems we do not build (BFD, garp_group, linkbeat ...) are kept verbatim.
"""

from __future__ import annotations

from pykeepalived.config import (
    schema_address,
    schema_check,
    schema_check_top,
    schema_track,
    schema_vrrp,
)
from pykeepalived.config.schema import (
    Block,
    Ctx,
    Fields,
    Handler,
    NodeLike,
    children,
    ignore_block,
    recognise,
    walk,
)
from pykeepalived.config.schema_global import GLOBAL_DEFS


def _static_addresses(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    entries = fields.setdefault("static_ipaddresses", [])
    for child in children(node):
        address = schema_address.parse_address_line(ctx, child, static=True)
        if address is not None:
            entries.append(address)


def _static_routes(name: str, kind: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        entries = fields.setdefault(name, [])
        for child in children(node):
            line = schema_address.parse_route_line(ctx, child, kind, static=True)
            if line is not None:
                entries.append(line)

    return handle


def _track_group(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    """Kept verbatim; its name is known to static routes and rules read after it."""
    if node.args:
        ctx.known.setdefault("track_group", set()).add(node.args[0])
    ignore_block(ctx, node, fields)


def _global_defs(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    sub: Fields = fields.setdefault("global_defs", {"location": node.location})
    walk(ctx, GLOBAL_DEFS, children(node), sub)


ROOT = Block(
    keywords={
        "global_defs": _global_defs,
        "static_ipaddress": _static_addresses,
        "static_routes": _static_routes("static_routes", "route"),
        "static_rules": _static_routes("static_rules", "rule"),
        "vrrp_script": schema_track.vrrp_script,
        "track_file": schema_track.track_file,
        "vrrp_track_file": schema_track.track_file,
        "vrrp_track_process": schema_track.vrrp_track_process,
        "vrrp_sync_group": schema_track.vrrp_sync_group,
        "vrrp_instance": schema_vrrp.vrrp_instance,
        "virtual_server_group": schema_check_top.virtual_server_group,
        "virtual_server": schema_check.virtual_server,
        "SSL": schema_check_top.ssl,
        "bfd_instance": schema_check_top.bfd_instance,
        "garp_group": ignore_block,
        "linkbeat_interfaces": ignore_block,
        "interface_up_down_delays": ignore_block,
        "track_group": _track_group,
    },
    recognised=recognise(
        "linkbeat_use_polling", "net_namespace", "net_namespace_ipvs",
        "namespace_with_ipsets", "use_pid_dir", "instance", "child_wait_time",
    ),
    sublevels={
        "global_defs": GLOBAL_DEFS,
        "vrrp_script": schema_track.VRRP_SCRIPT,
        "track_file": schema_track.TRACK_FILE,
        "vrrp_track_file": schema_track.TRACK_FILE,
        "vrrp_track_process": schema_track.TRACK_PROCESS,
        "vrrp_sync_group": schema_track.SYNC_GROUP,
        "vrrp_instance": schema_vrrp.INSTANCE,
        "virtual_server": schema_check.VIRTUAL_SERVER,
        "SSL": schema_check_top.SSL_BLOCK,
        "bfd_instance": None,
        "garp_group": None,
        "track_group": None,
    },
    value_blocks=recognise(
        "static_ipaddress", "static_routes", "static_rules", "linkbeat_interfaces",
        "interface_up_down_delays", "virtual_server_group",
    ),
)
