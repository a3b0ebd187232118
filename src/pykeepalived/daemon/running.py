"""What the driver holds for each running instance and sync group.

Plain holders, no behaviour: the runtime (runtime.py), the sync-group driver (groups.py)
and the action chains (chains.py) all work on these, so none of them has to import the
others to know what an instance carries.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

    from pykeepalived.daemon.executor import InstanceIO
    from pykeepalived.daemon.ports import SocketPort
    from pykeepalived.specs.build import GroupSpec
    from pykeepalived.specs.instance import InstanceSpec
    from pykeepalived.vrrp.instance import VrrpInstance
    from pykeepalived.vrrp.sync_group import SyncGroup
    from pykeepalived.vrrp.tracking import PriorityTracker


class RunningInstance:
    """One running instance and everything that belongs to it alone."""

    def __init__(self, spec: InstanceSpec, instance: VrrpInstance, tracker: PriorityTracker,
                 io: InstanceIO, sock: SocketPort) -> None:
        self.spec = spec
        self.instance = instance
        self.tracker = tracker
        self.io = io
        self.sock = sock
        self.timer: asyncio.TimerHandle | None = None
        #: the last queued batch of actions: the next one waits for it (chains.py)
        self.chain: asyncio.Task[None] | None = None
        #: the sync group driving this instance, if any
        self.group: RunningGroup | None = None
        #: datagrams this node's socket read that never reached its core, by why
        #: (inbound.py: another VRID, too short for one, an unexpected error)
        self.undelivered: Counter[str] = Counter()


class RunningGroup:
    """One running sync group: its spec, coordinator, member instances and timer."""

    def __init__(self, spec: GroupSpec, sync: SyncGroup, members: list[RunningInstance]) -> None:
        self.spec = spec
        self.sync = sync
        self.members = members
        self.timer: asyncio.TimerHandle | None = None
