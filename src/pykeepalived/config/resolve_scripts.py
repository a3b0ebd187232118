"""Which programs a config runs, and keepalived's script security verdict over them.

Mirrors keepalived 2.2.7's check_vrrp_script_security: track scripts that cannot be
found are disabled first, then any non-system program run without
`enable_script_security` is a SECURITY_ERROR (`-t` exit 6). The host facts about each
program (exists, insecure path) are gathered before resolving, from `script_programs`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.model import NotifyScript, SyncGroupConfig, VrrpInstanceConfig

if TYPE_CHECKING:
    from pykeepalived.config.host import HostFacts
    from pykeepalived.config.model import GlobalDefs, VrrpScript
    from pykeepalived.config.schema import Ctx, Fields

__all__ = ["script_programs", "script_security"]


def _notify_scripts(obj: VrrpInstanceConfig | SyncGroupConfig) -> list[NotifyScript | None]:
    common = [obj.notify_master, obj.notify_backup, obj.notify_fault, obj.notify_stop,
              obj.notify]
    if isinstance(obj, VrrpInstanceConfig):
        common += [obj.notify_deleted, obj.notify_master_rx_lower_pri]
    return common


def script_security(ctx: Ctx, gdefs: GlobalDefs, scripts: tuple[VrrpScript, ...],
                     instances: list[VrrpInstanceConfig], groups: tuple[SyncGroupConfig, ...],
                     host: HostFacts) -> None:
    """keepalived's check_vrrp_script_security: missing track scripts, then the verdict."""
    found_any = insecure_any = False
    for vscript in scripts:
        facts = host.script(vscript.script.path if vscript.script else "")
        if not facts.exists:
            ctx.error(f"Disabling track script {vscript.name} since not found/accessible", None)
            continue
        if gdefs.enable_script_security and facts.insecure:
            ctx.error(f"Disabling track script {vscript.name} due to insecure", None)
            continue
        found_any |= not facts.system
        insecure_any |= facts.insecure
    notifies: list[NotifyScript | None] = [gdefs.notify_fifo_script,
                                           gdefs.vrrp_notify_fifo_script]
    owners: list[VrrpInstanceConfig | SyncGroupConfig] = [*instances, *groups]
    for owner in owners:
        notifies += _notify_scripts(owner)
    for notify in notifies:
        if notify is None:
            continue
        facts = host.script(notify.path)
        if facts.exists and not facts.system:
            found_any = True
            insecure_any |= facts.insecure
    if found_any and not gdefs.enable_script_security:
        suffix = " There are insecure scripts." if insecure_any else ""
        ctx.report(Kind.SECURITY_ERROR, "SECURITY VIOLATION - scripts are being executed but"
                   f" script_security not enabled.{suffix}", None)


def script_programs(config_fields: Fields) -> set[str]:
    """Every program the config may run, for gathering host facts before resolving."""
    found: set[str] = set()

    def visit(value: object) -> None:
        if isinstance(value, NotifyScript):
            if value.command:
                found.add(value.command[0])
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif isinstance(value, list | tuple):
            for item in value:
                visit(item)

    visit(config_fields)
    return found
