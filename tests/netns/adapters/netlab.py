"""A two-host LAN for the adapter tests: namespaces A and B on a bridge namespace.

Kept here rather than using tests/netns/lab.py (written concurrently) so these tests
depend only on `ip`. Names start with `pkadp` plus a random tag, so concurrent runs
never collide; addresses come from 192.0.2.0/24 and 2001:db8::/64; MACs are fixed. The
`lan` fixture in conftest.py deletes everything in its finaliser, failures included.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import secrets
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

COMMAND_TIMEOUT = 10.0
CLONE_NEWNET = 0x40000000
IFNAME = "eth0"


def ip(*args: str) -> str:
    done = subprocess.run(
        ["ip", *args], capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def sysctl(namespace: str, *settings: str) -> None:
    subprocess.run(
        ["ip", "netns", "exec", namespace, "sysctl", "-q", "-w", *settings],
        check=True,
        timeout=COMMAND_TIMEOUT,
        capture_output=True,
    )


def socket_in(namespace: str) -> Callable[[int, int, int], socket.socket]:
    """A socket factory for the adapters: sockets keep the namespace they were made in.

    setns(2) moves only the calling thread, so a throwaway thread enters the namespace,
    creates the socket and ends; the test thread never changes namespace.
    """
    libc = ctypes.CDLL(None, use_errno=True)

    def make(family: int, kind: int, proto: int) -> socket.socket:
        made: list[socket.socket] = []
        failed: list[BaseException] = []

        def worker() -> None:
            try:
                with open(f"/run/netns/{namespace}", "rb") as handle:
                    if libc.setns(handle.fileno(), CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), f"setns {namespace}")
                made.append(socket.socket(family, kind, proto))
            except BaseException as exc:
                failed.append(exc)

        thread = threading.Thread(target=worker, name=f"setns-{namespace}")
        thread.start()
        thread.join(COMMAND_TIMEOUT)
        if failed:
            raise failed[0]
        if not made:
            raise TimeoutError(f"could not create a socket in {namespace}")
        return made[0]

    return make


@dataclass(frozen=True)
class Host:
    namespace: str
    port: str  # its veth end in the bridge namespace
    mac: str
    ipv4: IPv4Address
    ipv6: IPv6Address
    ifindex: int
    link_local: IPv6Address

    def socket_factory(self) -> Callable[[int, int, int], socket.socket]:
        return socket_in(self.namespace)

    def run(self, *args: str) -> str:
        return ip("-n", self.namespace, *args)


@dataclass(frozen=True)
class Lan:
    bridge: str
    a: Host
    b: Host

    def port_down(self, host: Host) -> None:
        ip("-n", self.bridge, "link", "set", host.port, "down")

    def port_up(self, host: Host) -> None:
        ip("-n", self.bridge, "link", "set", host.port, "up")


def _add_host(tag: str, bridge: str, name: str, number: int) -> Host:
    namespace = f"pkadp{tag}{name}"
    ip("netns", "add", namespace)
    sysctl(
        namespace,
        "net.ipv6.conf.all.accept_dad=0",
        "net.ipv6.conf.default.accept_dad=0",
        "net.ipv6.conf.all.router_solicitations=0",
        "net.ipv6.conf.default.router_solicitations=0",
    )
    port = f"v{name}{tag}"[:15]
    mac = f"02:00:5e:ad:00:{number:02x}"
    ip(
        "link",
        "add",
        IFNAME,
        "netns",
        namespace,
        "address",
        mac,
        "type",
        "veth",
        "peer",
        "name",
        port,
        "netns",
        bridge,
    )
    ip("-n", bridge, "link", "set", port, "master", "br0", "up")
    ip("-n", namespace, "link", "set", "lo", "up")
    ip("-n", namespace, "link", "set", IFNAME, "up")
    ipv4, ipv6 = IPv4Address(f"192.0.2.{200 + number}"), IPv6Address(f"2001:db8::{200 + number:x}")
    ip("-n", namespace, "addr", "add", f"{ipv4}/24", "dev", IFNAME)
    ip("-n", namespace, "addr", "add", f"{ipv6}/64", "dev", IFNAME, "nodad")
    link = json.loads(ip("-n", namespace, "-j", "addr", "show", "dev", IFNAME))[0]
    link_local = next(
        IPv6Address(a["local"])
        for a in link["addr_info"]
        if a["family"] == "inet6" and a["scope"] == "link"
    )
    return Host(namespace, port, mac, ipv4, ipv6, int(link["ifindex"]), link_local)


def build_lan(created: list[str]) -> Lan:
    """Create the LAN, appending each namespace to `created` before it exists, so the
    caller can delete whatever was made even when building fails half-way."""
    tag = secrets.token_hex(3)
    bridge = f"pkadp{tag}br"
    created.append(bridge)
    ip("netns", "add", bridge)
    sysctl(bridge, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
    ip(
        "-n",
        bridge,
        "link",
        "add",
        "br0",
        "type",
        "bridge",
        "stp_state",
        "0",
        "forward_delay",
        "0",
        "mcast_snooping",
        "0",
    )
    ip("-n", bridge, "link", "set", "br0", "up")
    hosts = []
    for number, name in ((1, "a"), (2, "b")):
        created.append(f"pkadp{tag}{name}")
        hosts.append(_add_host(tag, bridge, name, number))
    return Lan(bridge, hosts[0], hosts[1])


def delete_namespaces(names: list[str]) -> None:
    for namespace in reversed(names):
        subprocess.run(
            ["ip", "netns", "del", namespace],
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )


async def wait_until(predicate: Callable[[], bool], within: float, what: str) -> None:
    """Bounded poll on the running loop: at most within/interval checks, then fail."""
    interval = 0.01
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    for _ in range(int(within / interval) + 1):
        if predicate():
            return
        if loop.time() >= deadline:
            break
        await asyncio.sleep(interval)
    if not predicate():
        raise AssertionError(f"timed out after {within} s waiting for {what}")


def wait_until_sync(predicate: Callable[[], bool], within: float, what: str) -> None:
    """The same bounded poll for tests without an event loop."""
    interval = 0.01
    deadline = time.monotonic() + within
    for _ in range(int(within / interval) + 1):
        if predicate():
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    if not predicate():
        raise AssertionError(f"timed out after {within} s waiting for {what}")
