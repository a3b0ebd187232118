"""global_defs' SNMP keywords: which MIBs the AgentX subagent serves, and where snmpd is.

Wording follows keepalived/core/global_parser.c of 2.2.7 (snmp_socket_handler); the
`enable_snmp_*` keywords take no argument, `enable_snmp_rfc` turns on both RFC MIBs and
`enable_snmp_keepalived` is the pre-2.0 spelling of `enable_snmp_vrrp`.
"""

from __future__ import annotations

from pykeepalived.config.schema import Ctx, Fields, Handler, NodeLike, flag

#: keepalived's limit on the socket name (PATH_MAX - 1)
_PATH_MAX = 4096


def _snmp_socket(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if len(node.args) > 1:
        ctx.error("Too many parameters specified for snmp_socket - ignoring", node.location)
        return
    if not node.args:
        ctx.error("SNMP error : snmp socket name missing", node.location)
        return
    if len(node.args[0]) > _PATH_MAX - 1:
        ctx.error("SNMP error : snmp socket name too long - ignored", node.location)
        return
    if fields.get("snmp_socket") is not None:
        ctx.error(f"SNMP socket already set to {fields['snmp_socket']} - ignoring",
                  node.location)
        return
    fields["snmp_socket"] = node.args[0]


def _snmp_rfc(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    fields["enable_snmp_rfcv2"] = True
    fields["enable_snmp_rfcv3"] = True


SNMP_GLOBALS: dict[str, Handler] = {
    "snmp_socket": _snmp_socket,
    "enable_snmp_vrrp": flag("enable_snmp_vrrp"),
    "enable_snmp_keepalived": flag("enable_snmp_vrrp"),
    "enable_snmp_rfc": _snmp_rfc,
    "enable_snmp_rfcv2": flag("enable_snmp_rfcv2"),
    "enable_snmp_rfcv3": flag("enable_snmp_rfcv3"),
    "enable_snmp_checker": flag("enable_snmp_checker"),
}
