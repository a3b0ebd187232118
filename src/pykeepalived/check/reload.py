"""A reload of the check side: carry every unchanged server's state, touch only the diff.

keepalived 2.2.7's clear_diff_services and init_services (ipwrapper.c): a virtual server
found again (same group and port, same fwmark, or same protocol, address and port) keeps
its quorum state and IPVS service, edited only if its scheduler, flags or persistence
changed; a real server found again (same address and port) keeps being alive and in
IPVS, its weight changed only if the new weight differs; its checkers keep their verdict
when they check the same thing the same way. Anything gone is removed as at shutdown,
anything new starts as at startup. So an unchanged service and its connections are never
touched by a reload.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.check.actions import AddDest, AddService, DelService, EditService, Log
from pykeepalived.check.params import CheckerKind, MiscProbe
from pykeepalived.check.pool import VirtualServerCore

if TYPE_CHECKING:
    from pykeepalived.check.actions import CheckAction
    from pykeepalived.check.checkers import Checker
    from pykeepalived.check.params import VirtualServerSpec
    from pykeepalived.check.servers import RealServer


def remove(old: VirtualServerCore) -> list[CheckAction]:
    """A virtual server the new config no longer has (clear_service_vs, not stopping)."""
    group = old.spec.group
    what = f"Group [{group}]" if group is not None else old.spec.label
    out: list[CheckAction] = [Log(f"Removing Virtual Server {what}")]
    return out + old.remove()


def carry(spec: VirtualServerSpec, old: VirtualServerCore, *, log_all_failures: bool = False,
          no_checker_emails: bool = False, rs_init_notifies: bool = False,
          ) -> tuple[VirtualServerCore, frozenset[int], list[CheckAction]]:
    """clear_diff_services for a virtual server the reload keeps: the new core with the
    old one's state, the checkers it carried over, and what the diff costs. The driver
    then calls `restart()` and `register()` on it, in the new config's order."""
    core = VirtualServerCore(spec, log_all_failures=log_all_failures,
                             no_checker_emails=no_checker_emails,
                             rs_init_notifies=rs_init_notifies)
    core.alive, core.quorum_up = old.alive, old.quorum_up
    core.suspend_addresses = old.suspend_addresses
    migrated: set[int] = set()
    out = _services(core, old)
    out += _servers(core, old, migrated)
    out += _sorry(core, old)
    return core, frozenset(migrated), out


def _services(core: VirtualServerCore, old: VirtualServerCore) -> list[CheckAction]:
    """EDIT_SERVICE where scheduling changed; group entries that came or went (only a
    group's services can differ: any other virtual server is matched by its service).
    keepalived names a fwmark entry that went by its number alone, one that came as
    `FWM n` (clear_diff_vsge, sync_service_vsg_entry)."""
    out: list[CheckAction] = []
    group = core.spec.group or core.spec.label
    before = {s.key: s for s in old.spec.services}
    after = {s.key: s for s in core.spec.services}
    for key, service in before.items():
        if key not in after:
            text = str(service.fwmark) if service.fwmark else service.text()
            out += [Log(f"VS [{text}] in group {group} no longer exists"),
                    DelService(service)]
    for key, service in after.items():
        was = before.get(key)
        if was is None:
            out += [Log(f"VS [{service.text()}] added into group {group}"),
                    AddService(service)]
            out += [AddDest(service, rs.spec.dest(service, rs.ipvs_weight()))
                    for rs in old.servers if rs.set]
        elif was != service:
            out.append(EditService(service))
    return out


def _servers(core: VirtualServerCore, old: VirtualServerCore,
             migrated: set[int]) -> list[CheckAction]:
    """clear_diff_rs: gone ones out, kept ones carry their state and checkers."""
    kept = {rs.spec.key: rs for rs in core.servers}
    out: list[CheckAction] = []
    for rs in old.servers:
        new = kept.get(rs.spec.key)
        if new is None:
            out.append(Log(f"service {rs.text} no longer exist"))
            out += old.remove_server(rs)
            continue
        new.alive, new.set = rs.alive, rs.set
        new.effective, new.previous = rs.effective, rs.effective
        new.reloaded = True
        out += _migrate(core, old, rs, new, migrated)
        if (new.alive and new.effective != rs.effective) or _forwarding(rs) != _forwarding(new):
            out += core.edit_server(new)
    out += old.vs_down_if_lost()
    return out


def _forwarding(rs: RealServer) -> tuple[object, ...]:
    spec = rs.spec
    return (spec.forwarding, spec.tunnel_type, spec.tunnel_port, spec.tunnel_flags)


def _migrate(core: VirtualServerCore, old: VirtualServerCore, old_rs: RealServer,
             new_rs: RealServer, migrated: set[int]) -> list[CheckAction]:
    """migrate_checkers: a checker checking the same thing the same way keeps its verdict.

    "The same way" is keepalived's per-kind compare function: what is probed and how it
    is judged (the probe), not when (delay_loop, retry, alpha...), so a new retry value
    keeps the verdict and cuts the retry progress to fit."""
    old_checkers = [c for c in old.checkers if old.servers[c.rs] is old_rs]
    new_checkers = [c for c in core.checkers if core.servers[c.rs] is new_rs]
    for new in new_checkers:
        match = next((c for c in old_checkers
                      if (c.kind, c.spec.probe) == (new.kind, new.spec.probe)), None)
        if match is None:
            continue
        old_checkers.remove(match)
        migrated.add(new.index)
        _carry(new, match, new_rs)
    new_rs.failed = sum(1 for c in new_checkers if c.has_run and not c.is_up)
    if new_rs.failed or (not new_rs.alive and not any(c.has_run for c in new_checkers)):
        for new in new_checkers:
            if not new.has_run:
                if new.spec.alpha and new.is_up:  # set_checker_state: counted as failed
                    new.is_up = False
                    new_rs.failed += 1
                new.retry_it = new.spec.retry  # one failure is enough
    return core.settle_migrated(new_rs)


def _carry(new: Checker, old: Checker, rs: RealServer) -> None:
    if old.has_run:
        new.is_up = old.is_up
    new.has_run = old.has_run
    if old.retry_it and new.spec.retry:
        new.retry_it = min(old.retry_it, new.spec.retry - 1)
    new.url_it, new.failed_url = old.url_it, old.failed_url
    new.last_result, new.last_result_at = old.last_result, old.last_result_at
    new.failures = dict(old.failures)
    if new.kind is CheckerKind.MISC:
        new.last_exit, new.last_ran = old.last_exit, old.last_ran
        probe = new.spec.probe
        if isinstance(probe, MiscProbe) and probe.dynamic and old.last_exit != 1:
            status = old.last_exit
            new.cur_weight = status - (2 if status else 0) - rs.iweight
    elif new.kind is CheckerKind.FILE:
        new.cur_weight = old.cur_weight


def _sorry(core: VirtualServerCore, old: VirtualServerCore) -> list[CheckAction]:
    """clear_diff_s_srv: an unchanged sorry server stays; a changed one leaves."""
    before, after = old.sorry, core.sorry
    if before is None:
        return []
    if after is not None and after.spec.key == before.spec.key:
        after.alive, after.set = before.alive, before.set
        after.reloaded = True
        return []
    return old.remove_sorry()

