"""Datagrams in: which instance a VRRP packet is for, and the drops nobody owns.

Each instance has its own raw socket (its own source address and group), and a raw
socket sees every VRRP packet on its interface: packets are dispatched by VRID, and a
VRID nobody on that link runs is counted once, in `unknown_vrid` (one too short to
carry a VRID in `short_datagrams`). A per-datagram exception boundary logs and counts
anything unexpected: a packet can never stop the daemon.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.daemon.packets import (
    answers_lower_priority,
    datagram_vrid,
    receive,
    sync_from_lower_priority,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pykeepalived.adapters.datagram import Datagram
    from pykeepalived.daemon.ports import LogSink
    from pykeepalived.daemon.running import RunningInstance
    from pykeepalived.vrrp.events import Event


class Inbound:
    def __init__(self, nodes: Mapping[str, RunningInstance],
                 feed: Callable[[RunningInstance, Event, int | None], None],
                 log: LogSink) -> None:
        self._nodes = nodes
        self._feed = feed
        self._log = log
        self.unknown_vrid = 0
        #: too short to carry a VRID, so no instance's to judge
        self.short_datagrams = 0
        self.unexpected_errors = 0

    def on_datagram(self, node: RunningInstance, datagram: Datagram) -> None:
        try:
            self._receive(node, datagram)
        except Exception as exc:
            self.unexpected_errors += 1
            self._log.log(f"({node.spec.name}) unexpected error on a packet from "
                          f"{datagram.source}: {exc!r}")

    def _receive(self, node: RunningInstance, datagram: Datagram) -> None:
        vrid = datagram_vrid(datagram)
        if vrid != node.spec.params.vrid:
            self._count_undelivered(node, vrid)
            return
        ah, state = node.io.ah, node.instance.state
        event, line = receive(node.spec, datagram, ah, state=state)
        if line is not None:
            self._log.log(line.message, line.level)
        resync = ah is not None and answers_lower_priority(
            node.spec, state, node.instance.effective_priority, event)
        self._feed(node, event, datagram.received_ns)
        if resync and ah is not None:
            # before the answering advert is numbered: the executor runs after this
            synced = sync_from_lower_priority(node.spec, ah, datagram)
            self._log.log(synced.message, synced.level)

    def _count_undelivered(self, node: RunningInstance, vrid: int | None) -> None:
        """Every socket on a link sees every datagram: the link's first node counts it."""
        sock = node.spec.socket
        peers = [n for n in self._nodes.values()
                 if (n.spec.socket.ifindex, n.spec.socket.family) == (sock.ifindex, sock.family)]
        if not peers or peers[0] is not node:
            return
        if vrid is None:
            self.short_datagrams += 1
        elif all(n.spec.params.vrid != vrid for n in peers):
            self.unknown_vrid += 1
