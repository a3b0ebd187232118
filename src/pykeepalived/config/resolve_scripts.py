"""Which programs a config runs, and keepalived's script security verdict over them.

Mirrors keepalived 2.2.7's check_vrrp_script_security: track scripts that cannot be
found are disabled first, then any non-system program run without
`enable_script_security` is a SECURITY_ERROR (`-t` exit 6). The host facts about each
program (exists, insecure path) are gathered before resolving, from `script_programs`.
"""

from __future__ import annotations

from dataclasses import fields as dc_fields
from dataclasses import is_dataclass
from typing import TYPE_CHECKING

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.model import NotifyScript, SyncGroupConfig, VrrpInstanceConfig
from pykeepalived.config.model_check import MiscParams

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from pykeepalived.config.host import HostFacts
    from pykeepalived.config.model import GlobalDefs, VrrpScript
    from pykeepalived.config.schema import Ctx, Fields

__all__ = ["script_accounts", "script_programs", "script_security"]


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


def _values(value: object) -> Iterator[object]:
    """Everything inside parsed fields: dicts, lists and (frozen) model values. Keys
    starting with `_` are back references (a real server's `_vs`), not contents."""
    yield value
    if isinstance(value, dict):
        items: Iterable[object] = (v for k, v in value.items() if not str(k).startswith("_"))
    elif isinstance(value, list | tuple):
        items = value
    elif is_dataclass(value) and not isinstance(value, type):
        items = (getattr(value, f.name) for f in dc_fields(value))
    else:
        return
    for item in items:
        yield from _values(item)


def script_programs(config_fields: Fields) -> set[str]:
    """Every program the config may run, for gathering host facts before resolving."""
    found: set[str] = set()
    for value in _values(config_fields):
        if isinstance(value, NotifyScript) and value.command:
            found.add(value.command[0])
        elif isinstance(value, MiscParams) and value.command.command:
            found.add(value.command.command[0])
    return found


def script_accounts(config_fields: Fields) -> tuple[set[str], set[str]]:
    """The users and groups the config names for its scripts (host facts to gather)."""
    pairs: list[tuple[str | None, str | None]] = [
        (v.user, v.group) for v in _values(config_fields)
        if isinstance(v, NotifyScript | MiscParams)]
    gdefs = config_fields.get("global_defs", {})
    pairs.append((gdefs.get("script_user"), gdefs.get("script_group")))
    pairs.append(gdefs.get("lvs_notify_fifo_account") or (None, None))
    return {u for u, _ in pairs if u}, {g for _, g in pairs if g}
