"""lvs_sync_daemon: when to start and stop IPVS's connection-sync threads, as keepalived does.

The kernel's sync daemon has two roles: a master multicasts the connections its director
handles, a backup learns them, so the director that takes over a VIP already knows the
open connections. keepalived ties the roles to one vrrp_instance (`lvs_sync_daemon IF
INSTANCE`): the instance's master runs the master role, every other director the backup
role. Without an instance the checker runs both roles for its whole life.

Each function here turns one event into the commands to send, in order, so the rules are
tested without a kernel and the caller (the VRRP runtime or the check driver) only sends
them (adapters/ipvs.Ipvs.start_daemon / stop_daemon). The rules, from keepalived 2.2.7:

- VRRP start (vrrp_scheduler.c:vrrp_init_state): START master when the instance is
  already MASTER (a reload of a master), else START backup. (An address owner starts as
  BACKUP too and turns MASTER a moment later, through `become_master`.)
- becoming MASTER (vrrp.c:vrrp_state_become_master): STOP backup, START master.
- leaving MASTER (vrrp_state_leave_master), only if it had set its VIPs: STOP master,
  START backup.
- VRRP shutdown (vrrp_daemon.c:stop_vrrp): STOP the role of the current state.
- reload (vrrp_daemon.c:reload_vrrp_thread): when the parameters changed, STOP the wanted
  role, START it again, STOP the other; all three ignoring errors. keepalived 2.2.7 sends
  that START without the parameters (an empty interface, which the kernel refuses), so
  after a changed reload it runs no daemon at all; we START with the new parameters.
  Unchanged parameters: keepalived STARTs the wanted role again (the kernel answers
  EEXIST) and STOPs the other; we do the same, quietly.
- the checker without an instance (check_daemon.c:start_check, checker_terminate):
  STOP both quietly, START both (sync id 0 by default); at exit STOP both quietly.

The sync id defaults to the instance's VRID (global_parser.c); `resolved` fills it in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.check.lvs import SyncDaemonSpec, SyncState

MASTER: SyncState = "master"
BACKUP: SyncState = "backup"


@dataclass(frozen=True, slots=True)
class SyncCommand:
    """NEW_DAEMON (`start`) or DEL_DAEMON for one role.

    `quiet`: keepalived sends it with ignore_error, expecting refusals (stopping a role
    that is not running answers ESRCH, starting a running one EEXIST); the caller neither
    logs nor counts them.
    """

    start: bool
    state: SyncState
    sync: SyncDaemonSpec
    quiet: bool = False

    @property
    def verb(self) -> str:
        return "start" if self.start else "stop"


def _start(state: SyncState, sync: SyncDaemonSpec, *, quiet: bool = False) -> SyncCommand:
    return SyncCommand(True, state, sync, quiet)


def _stop(state: SyncState, sync: SyncDaemonSpec, *, quiet: bool = False) -> SyncCommand:
    return SyncCommand(False, state, sync, quiet)


def _role(master: bool) -> SyncState:
    return MASTER if master else BACKUP


def _other(state: SyncState) -> SyncState:
    return BACKUP if state == MASTER else MASTER


def resolved(sync: SyncDaemonSpec, vrid: int | None) -> SyncDaemonSpec:
    """The spec with keepalived's default sync id: the instance's VRID, or 0 without one."""
    if sync.sync_id is not None:
        return sync
    return replace(sync, sync_id=vrid if vrid is not None else 0)


def changed(old: SyncDaemonSpec, new: SyncDaemonSpec) -> bool:
    """keepalived's ipvs_syncd_changed: the kernel-facing values (not the instance name)."""
    return ((old.sync_id, old.interface, old.max_len, old.port, old.ttl, old.group)
            != (new.sync_id, new.interface, new.max_len, new.port, new.ttl, new.group))


# --------------------------------------------------------------- managed by an instance

def at_start(sync: SyncDaemonSpec, *, master: bool) -> tuple[SyncCommand, ...]:
    """The instance starts; `master` only when it is MASTER already (a master's reload)."""
    return (_start(_role(master), sync),)


def become_master(sync: SyncDaemonSpec) -> tuple[SyncCommand, ...]:
    return (_stop(BACKUP, sync), _start(MASTER, sync))


def leave_master(sync: SyncDaemonSpec, *, vips_set: bool) -> tuple[SyncCommand, ...]:
    """MASTER → BACKUP or FAULT; nothing unless the instance had set its VIPs."""
    if not vips_set:
        return ()
    return (_stop(MASTER, sync), _start(BACKUP, sync))


def at_shutdown(sync: SyncDaemonSpec, *, master: bool) -> tuple[SyncCommand, ...]:
    return (_stop(_role(master), sync),)


def on_reload(old: SyncDaemonSpec | None, new: SyncDaemonSpec | None, *,
              master: bool) -> tuple[SyncCommand, ...]:
    """A reload; `master`: the (new) managing instance is MASTER now.

    Added by the reload: as at start. Removed: both roles stopped (keepalived 2.2.7 leaves
    them running, with nobody left to stop them).
    """
    if new is None:
        return () if old is None else (_stop(MASTER, old, quiet=True),
                                       _stop(BACKUP, old, quiet=True))
    wanted = _role(master)
    if old is None:
        return at_start(new, master=master)
    if not changed(old, new):
        return (_start(wanted, new, quiet=True), _stop(_other(wanted), new, quiet=True))
    return (_stop(wanted, old, quiet=True), _start(wanted, new),
            _stop(_other(wanted), old, quiet=True))


# --------------------------------------------------------------- run by the checker

def checker_start(sync: SyncDaemonSpec,
                  previous: SyncDaemonSpec | None = None) -> tuple[SyncCommand, ...]:
    """The checker starts (`previous` None) or reloads: both roles, sync id 0 by default.

    On a reload with unchanged values both roles are running already: nothing to do.
    """
    sync = resolved(sync, None)
    if previous is not None and not changed(resolved(previous, None), sync):
        return ()
    stale = sync if previous is None else resolved(previous, None)
    return (_stop(MASTER, stale, quiet=True), _stop(BACKUP, stale, quiet=True),
            _start(MASTER, sync), _start(BACKUP, sync))


def checker_stop(sync: SyncDaemonSpec) -> tuple[SyncCommand, ...]:
    sync = resolved(sync, None)
    return (_stop(MASTER, sync, quiet=True), _stop(BACKUP, sync, quiet=True))
