"""Datagrams in: which instance a VRRP packet is for, and the drops nobody owns.

Each instance has its own raw socket (its own source address and group), and a raw
socket sees every VRRP packet on its interface: packets are dispatched by VRID, and a
VRID nobody on that link runs is counted once, in `unknown_vrid` (one too short to
carry a VRID in `short_datagrams`). A per-datagram exception boundary logs and counts
anything unexpected: a packet can never stop the daemon.

Per node, `node_counters` says what became of every datagram its socket handed over
that did not reach its core (another VRID, too short, an unexpected error), so that the
socket's reads = those + the core's receive tally (`stats.rx_accepted` + `rx_dropped`).

`arrange` (after a start or a reload) makes the first instance of each link its
listener, which reads everything and counts what nobody runs, and has the kernel filter
every other instance's socket down to its own VRID: without it, N instances on a link
read N copies of every advert there, and 1,000 instances at advert_int 0.1 facing a
peer that answered read 2 million datagrams a second (bench/cost.py).
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
    from pykeepalived.daemon.packet_log import PacketLog
    from pykeepalived.daemon.ports import LogSink
    from pykeepalived.daemon.running import RunningInstance
    from pykeepalived.vrrp.advert import IPAddress
    from pykeepalived.vrrp.events import Event


class Inbound:
    def __init__(self, nodes: Mapping[str, RunningInstance],
                 feed: Callable[[RunningInstance, Event, int | None], None],
                 log: LogSink, packet_log: PacketLog | None = None) -> None:
        self._nodes = nodes
        self._feed = feed
        self._log = log
        #: the codec's complaints go through it (rate-limited, sender named) when given
        self._packet_log = packet_log
        self.unknown_vrid = 0
        #: too short to carry a VRID, so no instance's to judge
        self.short_datagrams = 0
        self.unexpected_errors = 0
        #: told of each datagram an instance judged (the SNMP agent's error traps)
        self.on_received: Callable[[RunningInstance, IPAddress], None] | None = None
        #: per link (ifindex, family): its listener and the VRIDs run there (arrange)
        self._links: dict[tuple[int, int], tuple[RunningInstance, frozenset[int]]] = {}

    def arrange(self) -> None:
        """One listener per link reads everything; every other socket its VRID only."""
        links: dict[tuple[int, int], list[RunningInstance]] = {}
        for node in self._nodes.values():
            links.setdefault(_link(node), []).append(node)
        self._links = {}
        for link, nodes in links.items():
            self._links[link] = (nodes[0], frozenset(n.spec.params.vrid for n in nodes))
            nodes[0].sock.only_vrid(None)
            for node in nodes[1:]:
                node.sock.only_vrid(node.spec.params.vrid)

    @staticmethod
    def node_counters(node: RunningInstance) -> dict[str, int]:
        """rx_other_vrid, rx_short and rx_unexpected of one node's socket."""
        return {key: node.undelivered[key]
                for key in ("rx_other_vrid", "rx_short", "rx_unexpected")}

    def on_datagram(self, node: RunningInstance, datagram: Datagram) -> None:
        try:
            self._receive(node, datagram)
        except Exception as exc:
            self.unexpected_errors += 1
            node.undelivered["rx_unexpected"] += 1
            self._log.log(f"({node.spec.name}) unexpected error on a packet from "
                          f"{datagram.source}: {exc!r}")

    def _receive(self, node: RunningInstance, datagram: Datagram) -> None:
        vrid = datagram_vrid(datagram)
        if vrid != node.spec.params.vrid:
            node.undelivered["rx_short" if vrid is None else "rx_other_vrid"] += 1
            self._count_undelivered(node, vrid)
            return
        ah, state = node.io.ah, node.instance.state
        event, line = receive(node.spec, datagram, ah, state=state)
        if line is not None and self._packet_log is not None:
            self._packet_log.log(line.message, line.level, source=str(datagram.source))
        elif line is not None:
            self._log.log(line.message, line.level)
        resync = ah is not None and answers_lower_priority(
            node.spec, state, node.instance.effective_priority, event)
        self._feed(node, event, datagram.received_ns)
        if self.on_received is not None:
            self.on_received(node, datagram.source)
        if resync and ah is not None:
            # before the answering advert is numbered: the executor runs after this
            synced = sync_from_lower_priority(node.spec, ah, datagram)
            self._log.log(synced.message, synced.level)

    def _count_undelivered(self, node: RunningInstance, vrid: int | None) -> None:
        """Every socket on a link may see every datagram: the link's listener counts it."""
        arranged = self._links.get(_link(node))
        if arranged is not None and arranged[0] is not node:
            return  # the listener counts it
        if arranged is None:
            # not arranged yet (a start or reload in progress): look it up the long way
            peers = [n for n in self._nodes.values() if _link(n) == _link(node)]
            if not peers or peers[0] is not node:
                return
            arranged = (node, frozenset(n.spec.params.vrid for n in peers))
        if vrid is None:
            self.short_datagrams += 1
        elif vrid not in arranged[1]:
            self.unknown_vrid += 1


def _link(node: RunningInstance) -> tuple[int, int]:
    return node.spec.socket.ifindex, node.spec.socket.family
