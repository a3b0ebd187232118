"""An LVS lab: clients and directors on a front LAN, directors and real servers behind.

    front 192.0.2.0/24, 2001:db8::/64      client(s) ── director(s)
    back  198.51.100.0/24, 2001:db8:1::/64              director(s) ── real server(s)

Director k (1-based) is 192.0.2.k and 198.51.100.k (2001:db8::k, 2001:db8:1::k), client
j is 192.0.2.(20+j), real server j is 198.51.100.(10+j) (2001:db8:1::(10+j)); VIPs are
best taken from 192.0.2.100 up. Directors forward; clients and real servers route
everything through director 1 (`route_via` moves them), which is what LVS-NAT needs: the
real servers' answers must pass the director to be translated back. For LVS-DR, put the
VIP on the real servers' `lo` (`add_address`) with `arp_ignore`/`arp_announce` and let
them answer the client directly through their gateway.

Every host is a `Host` of the base Lab (its front interface `eth0` for clients and
directors, its back interface `eth0` for real servers; a director's back interface is
`eth1`), so `run`, `spawn`, `capture`, teardown and the namespaces' names work as in
netlab/lab.py. Interfaces are made with one `ip -batch` per namespace: each command is a
process, and in the IPVS VM a process costs a noticeable fraction of a second.
"""

from __future__ import annotations

import subprocess
import tempfile
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path
from typing import TYPE_CHECKING

from netlab.lab import COMMAND_TIMEOUT, Host, IpError, Lab, sysctl

if TYPE_CHECKING:
    from collections.abc import Sequence

FRONT, BACK = "br0", "br1"
_QUIET_V6 = ("accept_dad=0", "router_solicitations=0", "dad_transmits=0")


def ip_batch(namespace: str, commands: Sequence[str]) -> None:
    """`ip -n NAMESPACE -batch -`: many `ip` commands, one process."""
    done = subprocess.run(["ip", "-n", namespace, "-batch", "-"], input="\n".join(commands),
                          capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)
    if done.returncode != 0:
        raise IpError(done.returncode, done.args, done.stdout, done.stderr)


class LvsLab(Lab):
    """Clients, directors and real servers on a front and a back LAN; a context manager."""

    def __init__(self, *, directors: Sequence[str] = ("director",),
                 reals: Sequence[str] = ("rs1", "rs2"), clients: Sequence[str] = ("client",),
                 prefix: str = "lvs", workdir: Path | None = None) -> None:
        if not directors or len(directors) > 9 or len(clients) > 9 or len(reals) > 80:
            raise ValueError("1-9 directors, up to 9 clients and 80 real servers")
        super().__init__([*clients, *directors, *reals], prefix=prefix, workdir=workdir)
        self.directors = list(directors)
        self.reals = list(reals)
        self.clients = list(clients)
        #: a director's back-LAN addresses (its Host holds the front ones)
        self.back4: dict[str, IPv4Address] = {}
        self.back6: dict[str, IPv6Address] = {}

    def _build(self) -> None:
        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"{self.run_id}-")
            self.workdir = Path(self._tmp.name)
        self._add_namespace(self.bridge_namespace)
        sysctl(self.bridge_namespace, "net.ipv6.conf.all.disable_ipv6=1",
               "net.ipv6.conf.default.disable_ipv6=1")
        bridge = [f"link add {name} type bridge stp_state 0 forward_delay 0 mcast_snooping 0"
                  for name in (FRONT, BACK)]
        ip_batch(self.bridge_namespace, [*bridge, f"link set {FRONT} up",
                                         f"link set {BACK} up"])
        port = 0
        for index, name in enumerate(self.directors, start=1):
            namespace = self._host_namespace(name, forward=True)
            port += 1
            self._plug(namespace, FRONT, f"p{port}", "eth0", f"192.0.2.{index}",
                       f"2001:db8::{index}", mac=f"02:00:00:01:00:{index:02x}")
            port += 1
            self._plug(namespace, BACK, f"p{port}", "eth1", f"198.51.100.{index}",
                       f"2001:db8:1::{index}", mac=f"02:00:00:02:00:{index:02x}")
            self.back4[name] = IPv4Address(f"198.51.100.{index}")
            self.back6[name] = IPv6Address(f"2001:db8:1::{index}")
            self.hosts[name] = self._host(name, namespace, index, f"192.0.2.{index}",
                                          f"2001:db8::{index}", f"p{port - 1}", 0x01)
        for index, name in enumerate(self.clients, start=1):
            namespace = self._host_namespace(name, forward=False)
            port += 1
            self._plug(namespace, FRONT, f"p{port}", "eth0", f"192.0.2.{20 + index}",
                       f"2001:db8::{20 + index}", mac=f"02:00:00:01:00:{20 + index:02x}")
            self.hosts[name] = self._host(name, namespace, index, f"192.0.2.{20 + index}",
                                          f"2001:db8::{20 + index}", f"p{port}", 0x01)
        for index, name in enumerate(self.reals, start=1):
            namespace = self._host_namespace(name, forward=False)
            port += 1
            self._plug(namespace, BACK, f"p{port}", "eth0", f"198.51.100.{10 + index}",
                       f"2001:db8:1::{10 + index}", mac=f"02:00:00:02:00:{10 + index:02x}")
            self.hosts[name] = self._host(name, namespace, index, f"198.51.100.{10 + index}",
                                          f"2001:db8:1::{10 + index}", f"p{port}", 0x02)
        for name in (*self.clients, *self.reals):
            self.route_via(name, self.directors[0])

    def _host_namespace(self, name: str, *, forward: bool) -> str:
        namespace = f"{self.run_id}-{name}"
        self._add_namespace(namespace)
        settings = [f"net.ipv6.conf.{scope}.{s}" for scope in ("all", "default")
                    for s in _QUIET_V6]
        if forward:
            settings += ["net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]
        sysctl(namespace, *settings)
        return namespace

    def _plug(self, namespace: str, bridge: str, port: str, ifname: str, ipv4: str,
              ipv6: str, *, mac: str) -> None:
        """A veth from `bridge` into `namespace` as `ifname`, addressed and up."""
        ip_batch(self.bridge_namespace, [
            f"link add {port} type veth peer name {ifname} netns {namespace}",
            f"link set {port} master {bridge} up"])
        ip_batch(namespace, [f"link set {ifname} address {mac}",
                             f"addr add {ipv4}/24 dev {ifname}",
                             f"addr add {ipv6}/64 dev {ifname} nodad",
                             f"link set {ifname} up"])

    @staticmethod
    def _host(name: str, namespace: str, index: int, ipv4: str, ipv6: str, port: str,
              lan: int) -> Host:
        return Host(name=name, namespace=namespace, index=index,
                    mac=f"02:00:00:{lan:02x}:00:{int(ipv4.rsplit('.', 1)[1]):02x}",
                    ipv4=IPv4Address(ipv4), ipv6=IPv6Address(ipv6), bridge_port=port)

    # -------------------------------------------------------------- using it
    def route_via(self, host: str, director: str) -> None:
        """`host`'s default routes (v4 and v6) through `director`, on the LAN they share."""
        if host in self.reals:
            gateways = (self.back4[director], self.back6[director])
        else:
            gateways = (self.hosts[director].ipv4, self.hosts[director].ipv6)
        ip_batch(self.hosts[host].namespace, [
            f"route replace default via {gateways[0]}",
            f"route replace default via {gateways[1]}"])

    def add_address(self, host: str, *addresses: str, dev: str = "eth0") -> None:
        """Extra addresses on one of the host's interfaces (a VIP, a real server's many
        addresses); `a.b.c.d/len` as given, a bare address as a /32 or /128."""
        commands = []
        for address in addresses:
            bare = address.split("/", 1)[0]
            length = "" if "/" in address else ("/32" if ip_address(bare).version == 4
                                               else "/128")
            v6 = ip_address(bare).version == 6
            commands.append(f"addr add {address}{length} dev {dev}" + (" nodad" if v6 else ""))
        ip_batch(self.hosts[host].namespace, commands)
