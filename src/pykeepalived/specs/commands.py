"""A program to run and who runs it: the one shape of every script keepalived.conf names.

vrrp_script, notify scripts, notify FIFO readers and (later) MISC_CHECK all end up as a
`ScriptCommand`. The config layer has already split the line into argv; here we only
decide the user and group. keepalived's order is the script's own `user`, then
global_defs' `script_user`; when neither is set, the runner (adapters/scripts.py) uses
`keepalived_script` if that user exists on the host, else our own uid — a fact of the
host, so it is looked up where scripts are run, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pykeepalived.config.model import GlobalDefs, NotifyScript


@dataclass(frozen=True, slots=True)
class ScriptCommand:
    """What to exec: argv already split by the config layer, and who runs it."""

    argv: tuple[str, ...]
    user: str | None = None  # name or numeric id; None = keepalived's default user
    group: str | None = None  # None = the user's primary group

    def with_args(self, extra: Sequence[str]) -> ScriptCommand:
        return ScriptCommand((*self.argv, *extra), self.user, self.group)

    @property
    def program(self) -> str:
        return self.argv[0] if self.argv else ""


def script_command(script: NotifyScript, defaults: GlobalDefs | None = None) -> ScriptCommand:
    """A configured script line: its own user, else global_defs' script_user."""
    if script.user is not None:
        return ScriptCommand(script.command, script.user, script.group)
    if defaults is not None and defaults.script_user is not None:
        return ScriptCommand(script.command, defaults.script_user, defaults.script_group)
    return ScriptCommand(script.command)
