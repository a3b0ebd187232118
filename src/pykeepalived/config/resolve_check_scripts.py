"""Who runs the check module's scripts, and keepalived's script security verdict on them.

keepalived decides a script's user while parsing (notify_script_init,
misc_end_handler): the script's own `user [group]`, else the default user, which is
`script_user` if configured, else `keepalived_script`, else (only without
`enable_script_security`) keepalived's own uid. A MISC_CHECK whose user cannot be set is
removed with a config error; a notify script or FIFO only with a log line. The first
failure to find `keepalived_script` under script security is a config error, once.

After validation, check_check_script_security disables MISC_CHECK scripts that are
missing or insecure and reports `SECURITY VIOLATION - check scripts ...` (CONFIG_SECURITY
_ERROR, `-t` exit 6) when any script runs without `enable_script_security`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pykeepalived.config.diagnostics import Kind
from pykeepalived.config.model_check import Checker, LvsSyncDaemon, MiscParams

if TYPE_CHECKING:
    from pykeepalived.config.diagnostics import Location
    from pykeepalived.config.host import HostFacts, ScriptFacts
    from pykeepalived.config.model import GlobalDefs
    from pykeepalived.config.model_base import NotifyScript
    from pykeepalived.config.schema import Ctx, Fields

__all__ = ["Users", "check_globals", "check_scripts", "check_users", "quoted"]

#: keepalived's default script user (lib/notify.c get_default_script_user)
DEFAULT_USER = "keepalived_script"


def quoted(command: tuple[str, ...]) -> str:
    """keepalived's cmd_str: every word in single quotes (a leading `<`/`>` word bare)."""
    return " ".join(w if i == 0 and w[:1] in "<>" and w else f"'{w}'"
                    for i, w in enumerate(command))


class Users:
    """The default script user as keepalived settles it, reporting its one failure.

    keepalived settles it at the first script that needs it; a global_defs script read
    before `script_user` therefore gets keepalived_script (or keepalived's own uid)."""

    def __init__(self, ctx: Ctx, gdefs: GlobalDefs, host: HostFacts) -> None:
        self.ctx, self.host = ctx, host
        self.builtin_ok = DEFAULT_USER in host.users or not gdefs.enable_script_security
        #: None without script_user: the built-in default applies to every script
        self.configured_ok = None if gdefs.script_user is None else self.exists(
            gdefs.script_user, gdefs.script_group)
        self.explain = True

    def exists(self, user: str, group: str | None) -> bool:
        return user in self.host.users and (group is None or group in self.host.groups)

    def default(self, where: Location | None, *, before_script_user: bool = False) -> bool:
        """Can a script without its own user run? Failing to find keepalived_script
        under script security is a config error, once."""
        if self.configured_ok is not None and not before_script_user:
            return self.configured_ok
        if not self.builtin_ok and self.explain:
            self.ctx.error(f"Unable to set default user {DEFAULT_USER} for script", where)
            self.explain = False
        return self.builtin_ok

    def script(self, script: NotifyScript | None, what: str, *,
               before_script_user: bool = False) -> NotifyScript | None:
        """notify_script_init's user step: a script it cannot place is dropped (logged)."""
        if script is None:
            return None
        if script.user is not None:
            if self.exists(script.user, script.group):
                return script
            why = f"Invalid user/group for {what} script {script.path} - ignoring"
        elif self.default(script.location, before_script_user=before_script_user):
            return script
        else:
            why = f"Failed to set default user for {what} script {script.path} - ignoring"
        self.ctx.report(Kind.OK, why, script.location)
        return None


# ------------------------------------------------------------------ globals


def check_globals(ctx: Ctx, gdefs: GlobalDefs, fields: Fields, instances: list[Fields],
                  users: Users) -> GlobalDefs:
    """lvs_notify_fifo(_script) with their users, and the lvs_sync_daemon a vrrp_instance
    names with its deprecated lvs_sync_daemon_interface (when no global one is set)."""
    fifo, account = gdefs.lvs_notify_fifo, fields.get("lvs_notify_fifo_account")
    settled_at = fields.get("script_user_location")
    if fifo is not None:
        where = fields.get("lvs_notify_fifo_location")
        placed = users.exists(*account) if account else users.default(
            where, before_script_user=_before(where, settled_at))
        if not placed:
            how = "Invalid user/group" if account else "Failed to set default user"
            ctx.report(Kind.OK, f"{how} for lvs_ fifo {fifo} - ignoring", None)
            fifo = None
    script = gdefs.lvs_notify_fifo_script
    early = script is not None and _before(script.location, settled_at)
    return replace(gdefs, lvs_notify_fifo=fifo,
                   lvs_notify_fifo_script=users.script(script, "lvs_notify_fifo",
                                                       before_script_user=early),
                   lvs_sync_daemon=_instance_syncd(ctx, gdefs.lvs_sync_daemon, instances))


def _before(first: Location | None, second: Location | None) -> bool:
    return (first is not None and second is not None and first.path == second.path
            and first.line < second.line)


def _instance_syncd(ctx: Ctx, syncd: LvsSyncDaemon | None, instances: list[Fields]
                    ) -> LvsSyncDaemon | None:
    for fields in instances:
        given = fields.get("lvs_sync_daemon_interface")
        if given is None:
            continue
        interface, where = given
        if syncd is not None:
            ctx.error(f"({fields['name']}) lvs_sync_daemon_interface has already been"
                      f" specified as {syncd.interface} - ignoring", where)
            continue
        syncd = LvsSyncDaemon(interface, where, instance=fields["name"])
    return syncd


# ------------------------------------------------------------------ users, while parsing


def check_users(servers: list[Fields], users: Users) -> None:
    """The users of every virtual server's scripts, as keepalived sets them while reading
    (so also for virtual servers validation drops later)."""
    for vs in servers:
        for name in ("quorum_up", "quorum_down"):
            vs[name] = users.script(vs.get(name), "quorum")
        for rs in vs.get("real_servers", []):
            for name in ("notify_up", "notify_down"):
                rs[name] = users.script(rs.get(name), "notify")
            rs["checkers"] = [c for c in rs["checkers"] if _misc_user(c, users)]
        vs["orphan_checkers"] = [c for c in vs.get("orphan_checkers", []) if _misc_user(c, users)]


def _misc_user(checker: Checker, users: Users) -> bool:
    params = checker.params
    if not isinstance(params, MiscParams):
        return True
    shown = quoted(params.command.command)
    if params.user is not None:  # looked up while parsing (schema_checkers.py)
        return True
    if users.default(params.user_location):
        return True
    users.ctx.error(f"Unable to set default user for misc script {shown} - removing",
                    params.user_location)
    return False


# ------------------------------------------------------------------ security


def check_scripts(ctx: Ctx, servers: list[Fields], gdefs: GlobalDefs, host: HostFacts
                  ) -> GlobalDefs:
    """keepalived's check_check_script_security over the validated virtual servers:
    MISC_CHECK scripts and notify scripts that cannot run are dropped, then the verdict.
    Returns global_defs without an lvs_notify_fifo_script it dropped."""
    if not servers:
        return gdefs
    verdicts: list[tuple[bool, bool]] = []
    for vs in servers:
        for rs in vs["real_servers"]:
            rs["checkers"] = [c for c in rs["checkers"]
                              if _misc_allowed(ctx, c, gdefs, host, verdicts)]
        for orphan in vs.get("orphan_checkers", []):
            _misc_allowed(ctx, orphan, gdefs, host, verdicts)
    secure = _NotifyCheck(gdefs, host, verdicts)
    for vs in servers:
        for name in ("quorum_up", "quorum_down"):
            vs[name] = secure(vs.get(name))
        for rs in vs["real_servers"]:
            for name in ("notify_up", "notify_down"):
                rs[name] = secure(rs.get(name))
    # notify_fifo's script is shared with the VRRP side, which judges it for itself
    secure(gdefs.notify_fifo_script)
    gdefs = replace(gdefs, lvs_notify_fifo_script=secure(gdefs.lvs_notify_fifo_script))
    if any(is_script for is_script, _ in verdicts) and not gdefs.enable_script_security:
        suffix = " There are insecure scripts." if any(bad for _, bad in verdicts) else ""
        ctx.report(Kind.SECURITY_ERROR, "SECURITY VIOLATION - check scripts are being"
                   f" executed but script_security not enabled.{suffix}", None)
    return gdefs


class _NotifyCheck:
    """check_notify_script_secure: a notify script runs only if it is found, executable
    (a `</file` test is not) and, under script security, not insecure."""

    def __init__(self, gdefs: GlobalDefs, host: HostFacts,
                 verdicts: list[tuple[bool, bool]]) -> None:
        self.gdefs, self.host, self.verdicts = gdefs, host, verdicts

    def __call__(self, script: NotifyScript | None) -> NotifyScript | None:
        if script is None:
            return None
        facts = self.host.script(script.path)
        self.verdicts.append(_verdict(facts))
        inhibited = self.gdefs.enable_script_security and facts.insecure
        runs = facts.exists and facts.executable and not facts.system and not inhibited
        return script if runs else None


def _verdict(facts: ScriptFacts) -> tuple[bool, bool]:
    """(runs a script, the script is insecure), as check_script_secure's flags say."""
    is_script = facts.exists and not facts.system
    return is_script, is_script and facts.insecure


def _misc_allowed(ctx: Ctx, checker: Checker, gdefs: GlobalDefs, host: HostFacts,
                  verdicts: list[tuple[bool, bool]]) -> bool:
    params = checker.params
    if not isinstance(params, MiscParams):
        return True
    facts = host.script(params.command.path)
    verdicts.append(_verdict(facts))
    shown = quoted(params.command.command)
    if facts.exists and gdefs.enable_script_security and facts.insecure and not facts.system:
        ctx.report(Kind.OK, f"Disabling misc script {shown} due to insecure", None)
        return False
    if not facts.exists:
        ctx.report(Kind.OK, f"Disabling misc script {shown} since not found/accessible", None)
        return False
    return facts.executable or facts.system
