"""What the driver holds for each running instance and sync group.

Plain holders, no behaviour: the runtime (runtime.py), the sync-group driver (groups.py)
and the action chains (chains.py) all work on these, so none of them has to import the
others to know what an instance carries.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from pykeepalived.vrrp.params import State

if TYPE_CHECKING:
    import asyncio

    from pykeepalived.daemon.executor import InstanceIO
    from pykeepalived.daemon.ports import SocketPort
    from pykeepalived.daemon.timers import Timer
    from pykeepalived.specs.build import GroupSpec
    from pykeepalived.specs.instance import InstanceSpec
    from pykeepalived.vrrp.instance import VrrpInstance
    from pykeepalived.vrrp.sync_group import SyncGroup
    from pykeepalived.vrrp.tracking import PriorityTracker


#: a timer this late (s) says the loop did not run for a while (SIGSTOP, a stall): data
#: may be waiting on the sockets, and epoll does not report it when its own timeout
#: ran out while the process was stopped, so the timer is put back behind one poll
LATE_TIMER = 0.01


def stall_floor(instance: VrrpInstance, advert_int_cs: int) -> float:
    """How late a timer must be to say the loop stalled rather than was busy: LATE_TIMER,
    but a MASTER's advert timer must be late by a whole advert interval (an advert
    missed altogether). A loop that is merely busy (advert_int 0.01, 1,000 instances,
    a neighbour on the same core) sees timers a few ms late all the time, and each
    deferral would cost that advert another LATE_TIMER."""
    if instance.state is State.MASTER:
        return max(LATE_TIMER, advert_int_cs / 100)
    return LATE_TIMER


def defer_late_timer(late_by: float, deferred: bool, floor: float = LATE_TIMER) -> bool:
    """Should a timer firing `late_by` seconds after its deadline wait one poll?

    After SIGCONT an asyncio loop runs the overdue timers before the datagrams queued
    meanwhile (epoll_wait's timeout expired during the stop, so it returned nothing).
    A backup's down timer would then fire although its master's adverts sat in the
    socket all along. Put back once (`loop.call_at(now)` runs after the next poll's
    readers), the timer finds them read, and the deadline moved. Only once (the flag is
    cleared when the timer runs), so a loop busy with datagrams still runs its timers."""
    return late_by > floor and not deferred


class RunningInstance:
    """One running instance and everything that belongs to it alone."""

    def __init__(self, spec: InstanceSpec, instance: VrrpInstance, tracker: PriorityTracker,
                 io: InstanceIO, sock: SocketPort) -> None:
        self.spec = spec
        self.instance = instance
        self.tracker = tracker
        self.io = io
        self.sock = sock
        self.timer: Timer[RunningInstance] | None = None
        #: the last queued batch of actions: the next one waits for it (chains.py)
        self.chain: asyncio.Task[None] | None = None
        #: a queued batch with a gratuitous burst has not started yet (chains.py)
        self.burst_waiting = False
        #: the sync group driving this instance, if any
        self.group: RunningGroup | None = None
        #: datagrams this node's socket read that never reached its core, by why
        #: (inbound.py: another VRID, too short for one, an unexpected error)
        self.undelivered: Counter[str] = Counter()
        #: its late timer was put back once so that pending datagrams are read first
        self.timer_deferred = False


class RunningGroup:
    """One running sync group: its spec, coordinator, member instances and timer."""

    def __init__(self, spec: GroupSpec, sync: SyncGroup, members: list[RunningInstance]) -> None:
        self.spec = spec
        self.sync = sync
        self.members = members
        self.timer: Timer[RunningGroup] | None = None
        #: as RunningInstance.timer_deferred
        self.timer_deferred = False
