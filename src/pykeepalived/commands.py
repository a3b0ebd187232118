"""A program to run and who runs it: the one shape of every script keepalived.conf names.

vrrp_script, notify scripts, notify FIFO readers, notify_up/down, quorum_up/down and
MISC_CHECK all end up as a `ScriptCommand`, built by specs/ (which applies keepalived's
user rules) and carried unchanged by the vrrp and check cores to the script runner. A
leaf every layer may import, like constants.py. With no user set, the runner
(adapters/scripts.py) uses `keepalived_script` if that user exists on the host, else our
own uid — a fact of the host, so it is looked up where scripts are run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True, slots=True)
class ScriptCommand:
    """What to exec: argv already split by the config layer, and who runs it."""

    argv: tuple[str, ...]
    user: str | None = None  # name or numeric id; None = keepalived's default user
    group: str | None = None  # None = the user's primary group
    #: variables added to the daemon's environment for this run (ours: the fencing token)
    env: tuple[tuple[str, str], ...] = ()

    def with_args(self, extra: Sequence[str]) -> ScriptCommand:
        return ScriptCommand((*self.argv, *extra), self.user, self.group, self.env)

    def with_env(self, env: Sequence[tuple[str, str]]) -> ScriptCommand:
        return ScriptCommand(self.argv, self.user, self.group, (*self.env, *env))

    @property
    def program(self) -> str:
        return self.argv[0] if self.argv else ""
