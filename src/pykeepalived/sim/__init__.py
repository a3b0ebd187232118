"""A virtual-clock VRRP cluster: N nodes running the real state machines on a lossy LAN.

Start with `build_cluster([150, 100])` (scenario.py) or build a `Cluster` by hand; drive
it with `start`/`crash`/`stop`/`partition`/`heal`/`script_result`/`set_interface` and
`run_until(t)`; read `cluster.timeline` (transitions, VIP holders, log lines, `render()`).
"""

from __future__ import annotations

from pykeepalived.sim.cluster import Cluster, SimulationLimit
from pykeepalived.sim.network import LinkFaults
from pykeepalived.sim.node import SimScript
from pykeepalived.sim.scenario import build_cluster, instance_params, node_address
from pykeepalived.sim.timeline import Timeline

__all__ = [
    "Cluster",
    "LinkFaults",
    "SimScript",
    "SimulationLimit",
    "Timeline",
    "build_cluster",
    "instance_params",
    "node_address",
]
