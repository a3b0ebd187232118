"""Ready-made clusters for tests, docs and the demo: one call, one VIP, documentation addresses.

Nodes are named n1, n2, ... with primary addresses 192.0.2.11, .12, ... (RFC 5737), so a
higher node number also means a higher primary address, which the tie-break tests rely on.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

from pykeepalived.sim.cluster import Cluster
from pykeepalived.vrrp.params import GarpParams, InstanceParams, UnicastPeer

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from pykeepalived.sim.network import LinkFaults
    from pykeepalived.vrrp.tracking import TrackSpec

VIP = IPv4Address("192.0.2.100")
FIRST_HOST = 11
#: GARP bursts are irrelevant to elections; no delayed bursts keeps timelines short.
QUIET_GARP = GarpParams(master_delay=0.0, master_repeat=1, lower_prio_delay=0.0)


def node_address(index: int) -> IPv4Address:
    """Primary address of node n<index> (1-based)."""
    if not 1 <= index <= 80:
        raise ValueError(f"node index {index} outside 1..80")
    return IPv4Address(f"192.0.2.{FIRST_HOST + index - 1}")


def instance_params(
    priority: int,
    index: int,
    *,
    name: str = "VI_1",
    vrid: int = 51,
    version: int = 2,
    advert_int_cs: int = 100,
    **overrides: Any,
) -> InstanceParams:
    """An instance as node n<index> runs it; `overrides` are InstanceParams fields."""
    fields: dict[str, Any] = {
        "name": name,
        "vrid": vrid,
        "version": version,
        "priority": priority,
        "advert_int_cs": advert_int_cs,
        "virtual_addresses": (VIP,),
        "primary_address": node_address(index),
        "garp": QUIET_GARP,
    }
    fields.update(overrides)
    return InstanceParams(**fields)


def build_cluster(
    priorities: Sequence[int],
    *,
    seed: int = 0,
    faults: LinkFaults | None = None,
    unicast: bool = False,
    tracks: dict[int, Iterable[TrackSpec]] | None = None,
    per_node: dict[int, dict[str, Any]] | None = None,
    **common: Any,
) -> Cluster:
    """One instance VI_1 on each of len(priorities) nodes (n1 has priorities[0], ...).

    `common` and `per_node[index]` are passed to `instance_params`; with `unicast` every
    node lists all the others as unicast peers.
    """
    cluster = Cluster(seed=seed, faults=faults)
    count = len(priorities)
    for index, priority in enumerate(priorities, start=1):
        settings = {**common, **(per_node or {}).get(index, {})}
        params = instance_params(priority, index, **settings)
        if unicast:
            peers = tuple(UnicastPeer(node_address(i)) for i in range(1, count + 1) if i != index)
            params = replace(params, unicast_peers=peers)
        cluster.add_node(f"n{index}", node_address(index))
        cluster.add_instance(f"n{index}", params, (tracks or {}).get(index, ()))
    return cluster
