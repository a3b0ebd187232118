"""More LANs for a lab: segment k is bridge `brk` in the bridge namespace and `ethk` in
each host on it.

One interface carries at most 255 VRIDs per family, so a daemon with 1,000 instances
needs several LANs, each its own broadcast domain (the same VRID on two segments must
not meet). Segment k (1-14) numbers its hosts 198.51.100.(16k + i)/28, i the host's
index in the lab (1-based, up to 14), from the documentation range; IPv6 stays off on
these interfaces (the benchmarks that use them speak IPv4). The lab's teardown deletes
the namespaces and with them everything made here.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from netlab.lab import ip, sysctl

if TYPE_CHECKING:
    from collections.abc import Sequence

    from netlab.lab import Lab

MAX_SEGMENT = 14
MAX_HOST_INDEX = 14


def segment_address(segment: int, host_index: int) -> IPv4Address:
    """Host `host_index`'s address on segment `segment` (>= 1; segment 0 is eth0)."""
    if not 1 <= segment <= MAX_SEGMENT or not 1 <= host_index <= MAX_HOST_INDEX:
        raise ValueError(f"segment 1-{MAX_SEGMENT}, host index 1-{MAX_HOST_INDEX}")
    return IPv4Address(f"198.51.100.{16 * segment + host_index}")


def add_segment(lab: Lab, segment: int, hosts: Sequence[str]) -> dict[str, IPv4Address]:
    """Plug `hosts` into a new LAN `segment`; their addresses on it, by host name."""
    bridge = f"br{segment}"
    ip("-n", lab.bridge_namespace, "link", "add", bridge, "type", "bridge",
       "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0")
    ip("-n", lab.bridge_namespace, "link", "set", bridge, "up")
    addresses = {}
    for name in hosts:
        host = lab.host(name)
        address = segment_address(segment, host.index)
        ifname, port = f"eth{segment}", f"p{host.index}s{segment}"
        ip("-n", lab.bridge_namespace, "link", "add", port, "type", "veth", "peer", "name",
           ifname, "netns", host.namespace)
        ip("-n", lab.bridge_namespace, "link", "set", port, "master", bridge, "up")
        sysctl(host.namespace, f"net.ipv6.conf.{ifname}.disable_ipv6=1")
        octets = host.mac.split(":")
        octets[3] = f"{segment:02x}"  # eth0's MAC with the segment in its fourth octet
        host.ip("link", "set", ifname, "address", ":".join(octets))
        host.ip("addr", "add", f"{address}/28", "dev", ifname)
        host.ip("link", "set", ifname, "up")
        addresses[name] = address
    return addresses

