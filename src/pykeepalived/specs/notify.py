"""Who hears of a state change: notify scripts per instance and group, FIFOs, SMTP.

The specs the notifier (adapters/notifier.py) runs from: one `NotifyTarget` per instance
or sync group (its per-state scripts, its generic `notify`, whether it mails), the notify
FIFOs with their reader scripts, and the SMTP settings as configured (host-dependent
defaults such as the HELO name are filled in by adapters/smtp.py when it sends).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pykeepalived.commands import ScriptCommand

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pykeepalived.config.model import (
        GlobalDefs,
        NotifyScript,
        SyncGroupConfig,
        VrrpInstanceConfig,
    )

def script_command(script: NotifyScript, defaults: GlobalDefs | None = None) -> ScriptCommand:
    """A configured script line: its own user, else global_defs' script_user."""
    if script.user is not None:
        return ScriptCommand(script.command, script.user, script.group)
    if defaults is not None and defaults.script_user is not None:
        return ScriptCommand(script.command, defaults.script_user, defaults.script_group)
    return ScriptCommand(script.command)


#: Who a notify is about: a vrrp_instance or a vrrp_sync_group.
Kind = Literal["INSTANCE", "GROUP"]


def _command(script: NotifyScript | None, defaults: GlobalDefs | None) -> ScriptCommand | None:
    return None if script is None else script_command(script, defaults)


@dataclass(frozen=True, slots=True)
class NotifyTarget:
    """One instance or sync group: its per-state scripts, generic script and smtp flag."""

    kind: Kind
    name: str
    scripts: Mapping[str, ScriptCommand] = field(default_factory=dict)
    generic: ScriptCommand | None = None
    smtp_alert: bool = False

    @property
    def label(self) -> str:
        return f"({self.name})" if self.kind == "INSTANCE" else f"VRRP_Group({self.name})"

    @classmethod
    def for_instance(cls, inst: VrrpInstanceConfig, defaults: GlobalDefs | None = None,
                     ) -> NotifyTarget:
        by_state = {"MASTER": inst.notify_master, "BACKUP": inst.notify_backup,
                    "FAULT": inst.notify_fault, "STOP": inst.notify_stop,
                    "DELETED": inst.notify_deleted,
                    "MASTER_RX_LOWER_PRI": inst.notify_master_rx_lower_pri}
        return cls("INSTANCE", inst.name, _commands(by_state, defaults),
                   _command(inst.notify, defaults), _smtp_flag(inst.smtp_alert, defaults))

    @classmethod
    def for_group(cls, group: SyncGroupConfig, defaults: GlobalDefs | None = None) -> NotifyTarget:
        by_state = {"MASTER": group.notify_master, "BACKUP": group.notify_backup,
                    "FAULT": group.notify_fault, "STOP": group.notify_stop}
        return cls("GROUP", group.name, _commands(by_state, defaults),
                   _command(group.notify, defaults), _smtp_flag(group.smtp_alert, defaults))


def _commands(by_state: Mapping[str, NotifyScript | None], defaults: GlobalDefs | None,
              ) -> dict[str, ScriptCommand]:
    return {state: script_command(script, defaults)
            for state, script in by_state.items() if script is not None}


def _smtp_flag(own: bool | None, defaults: GlobalDefs | None) -> bool:
    if own is not None:
        return own
    return bool(defaults is not None and defaults.smtp_alert)


@dataclass(frozen=True, slots=True)
class FifoSpec:
    path: str
    script: ScriptCommand | None = None


def fifo_specs(defaults: GlobalDefs) -> list[FifoSpec]:
    """notify_fifo and vrrp_notify_fifo (if distinct), with their reader scripts."""
    specs: list[FifoSpec] = []
    for path, script in ((defaults.notify_fifo, defaults.notify_fifo_script),
                         (defaults.vrrp_notify_fifo, defaults.vrrp_notify_fifo_script)):
        if path and all(s.path != path for s in specs):
            specs.append(FifoSpec(path, _command(script, defaults)))
    return specs


@dataclass(frozen=True, slots=True)
class SmtpSpec:
    """global_defs' SMTP settings as written; None fields take the host's defaults."""

    server: str
    recipients: tuple[str, ...]
    port: int = 25
    email_from: str | None = None
    helo_name: str | None = None
    router_id: str | None = None
    connect_timeout: float = 30.0


def smtp_spec(defs: GlobalDefs) -> SmtpSpec | None:
    """None when alerts are not configured (keepalived: "Only send mail if email specified")."""
    if not defs.smtp_server or not defs.notification_email:
        return None
    return SmtpSpec(server=defs.smtp_server, recipients=defs.notification_email,
                    port=defs.smtp_port, email_from=defs.notification_email_from,
                    helo_name=defs.smtp_helo_name, router_id=defs.router_id,
                    connect_timeout=float(defs.smtp_connect_timeout))
