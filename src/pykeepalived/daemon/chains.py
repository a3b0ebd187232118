"""One chain of work per instance: its actions run in the order the core produced them.

Some actions await netlink or pace GARPs, so a later core call's actions could overtake
an earlier one's; each instance keeps the task of its last batch and the next batch
waits for it. A failure in one batch is logged and counted, never lost silently, and
never stops the chain.

A queue must not grow with the traffic: when a batch that sends a gratuitous burst is
already waiting to start, a later batch's burst is left out (the waiting one announces
the same addresses, later than asked for, never earlier). keepalived sends its bursts
synchronously and cannot queue them; a MASTER answering a storm of lower-priority
adverts while its chain waits on netlink would otherwise queue one burst per advert.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from pykeepalived.vrrp.actions import SendGratuitous

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from pykeepalived.daemon.executor import Executor
    from pykeepalived.daemon.ports import LogSink
    from pykeepalived.daemon.running import RunningInstance
    from pykeepalived.vrrp.actions import Action

#: Bound on waiting for an instance's pending actions at stop/reload.
DRAIN_LIMIT = 5.0


class Chains:
    def __init__(self, executor: Executor, log: LogSink) -> None:
        self.executor = executor
        self._log = log
        #: batches that raised (logged; the daemon carries on)
        self.failures = 0
        #: gratuitous bursts left out because one was already waiting (module docstring)
        self.coalesced = 0

    def execute(self, node: RunningInstance, actions: list[Action]) -> None:
        if not actions:
            return
        chain = node.chain
        if (chain is None or chain.done()) and self.executor.immediate(node.io, actions):
            # Nothing queued and nothing to await: run now. A Task per advert was a
            # third of a MASTER's CPU (bench/cost.py, profiled).
            try:
                self.executor.run_now(node.io, actions)
            except Exception as exc:
                self.failures += 1
                self._log.log(f"({node.spec.name}) action failed: {exc!r}")
            return
        bursts = any(type(action) is SendGratuitous for action in actions)
        if bursts and node.burst_waiting:
            self.coalesced += 1
            actions = [action for action in actions if type(action) is not SendGratuitous]
            bursts = False
            if not actions:
                return
        self.run_after(node, lambda: self.executor.run(node.io, actions), burst=bursts)

    def run_after(self, node: RunningInstance, work: Callable[[], Awaitable[None]], *,
                  burst: bool = False) -> None:
        """Run `work` after everything already queued for `node`; `burst`: it sends a
        gratuitous burst (later bursts are left out until it starts)."""
        previous = node.chain
        if burst:
            node.burst_waiting = True
        node.chain = asyncio.get_running_loop().create_task(
            self._chained(previous, node, work, burst))

    async def _chained(self, previous: asyncio.Task[None] | None, node: RunningInstance,
                       work: Callable[[], Awaitable[None]], burst: bool) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        if burst:
            node.burst_waiting = False
        try:
            await work()
        except Exception as exc:
            self.failures += 1
            self._log.log(f"({node.spec.name}) action failed: {exc!r}")

    async def settle(self, nodes: Iterable[RunningInstance]) -> None:
        """Wait (bounded) until every instance's queued actions have run."""
        chains = {node.chain for node in nodes if node.chain is not None}
        if chains:
            await asyncio.wait(chains, timeout=DRAIN_LIMIT)

    async def drain(self, node: RunningInstance) -> None:
        """A retiring instance: let its queued actions finish (bounded), then its socket."""
        if node.chain is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.wait({node.chain}), DRAIN_LIMIT)
        node.sock.close()
