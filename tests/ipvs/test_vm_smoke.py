"""The VM really gives the check module what it needs: IPVS, pyroute2's IPVS, namespaces.

These run inside the VM (tests/ipvs/conftest.py); each asserts on the kernel's own view
(`ipvsadm -Ln`, a ping's reply), so a VM without a working IPVS or network fails here
first, with a plain message, before any check-module test does.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from socket import IPPROTO_TCP
from typing import TYPE_CHECKING

import pytest

from tests.conftest import skip_or_fail

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.ipvs

VIP = "192.0.2.100"
REALS = (("192.0.2.11", 1), ("192.0.2.12", 2))  # (address, weight), port 8080, NAT
IP_VS_CONN_F_MASQ = 0  # the kernel's forwarding method code for NAT ("Masq" in ipvsadm)
TIMEOUT = 30.0


def run(*argv: str) -> str:
    """Run a command; its stdout, or a failure naming the command and its stderr."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, f"{' '.join(argv)} exited {done.returncode}: {done.stderr}"
    return done.stdout


def ipvs_table() -> list[str]:
    """`ipvsadm -Ln` without its 3 header lines, each row's blanks squeezed to one."""
    lines = run("ipvsadm", "-Ln").splitlines()
    assert lines[0].startswith("IP Virtual Server version"), lines
    return [" ".join(line.split()) for line in lines[3:]]


@pytest.fixture
def ipvs() -> Iterator[None]:
    """IPVS loaded with an empty table, and left empty after the test."""
    if shutil.which("ipvsadm") is None:
        skip_or_fail("needs ipvsadm (Debian package ipvsadm; `make vm` installs it)")
    if not Path("/proc/net/ip_vs").exists():
        run("modprobe", "ip_vs")
    assert ipvs_table() == [], "the VM's IPVS table was not empty at the start"
    try:
        yield
    finally:
        run("ipvsadm", "--clear")


def add_service_with_two_reals() -> None:
    from pyroute2 import IPVS, IPVSDest, IPVSService

    service = IPVSService(addr=VIP, port=80, protocol=IPPROTO_TCP, sched_name="wlc")
    ipvs = IPVS()
    try:
        ipvs.service("add", service=service)
        for addr, weight in REALS:
            dest = IPVSDest(addr=addr, port=8080, fwd_method=IP_VS_CONN_F_MASQ, weight=weight)
            ipvs.dest("add", service=service, dest=dest)
    finally:
        ipvs.close()


def delete_service() -> None:
    from pyroute2 import IPVS, IPVSService

    ipvs = IPVS()
    try:
        ipvs.service("del", service=IPVSService(addr=VIP, port=80, protocol=IPPROTO_TCP))
    finally:
        ipvs.close()


def test_ip_vs_module_loads() -> None:
    """modprobe finds Debian's ip_vs module (or IPVS is already there) and the kernel has it."""
    run("modprobe", "ip_vs")
    assert Path("/proc/net/ip_vs").exists()
    assert "ip_vs" in Path("/proc/modules").read_text() or Path("/sys/module/ip_vs").exists()


@pytest.mark.usefixtures("ipvs")
def test_pyroute2_service_shows_in_ipvsadm() -> None:
    """A TCP service with wlc and two NAT reals, made by pyroute2, is exactly what ipvsadm lists."""
    add_service_with_two_reals()
    assert ipvs_table() == [
        f"TCP {VIP}:80 wlc",
        "-> 192.0.2.11:8080 Masq 1 0 0",
        "-> 192.0.2.12:8080 Masq 2 0 0",
    ]


@pytest.mark.usefixtures("ipvs")
def test_pyroute2_dump_reads_back_the_service() -> None:
    """pyroute2's dumps give back what was added: the check module will read state this way."""
    from pyroute2 import IPVS, IPVSDest, IPVSService

    add_service_with_two_reals()
    ipvs = IPVS()
    try:
        services = [IPVSService.from_message(m) for m in ipvs.service("dump")]
        assert [(s["addr"], s["port"], s["sched_name"]) for s in services] == [(VIP, 80, "wlc")]
        dests = [IPVSDest.from_message(m) for m in ipvs.dest("dump", service=services[0])]
    finally:
        ipvs.close()
    assert sorted((d["addr"], d["port"], d["weight"]) for d in dests) == [
        (addr, 8080, weight) for addr, weight in REALS
    ]


@pytest.mark.usefixtures("ipvs")
def test_deleting_the_service_empties_the_table() -> None:
    """Deleting the service takes its reals with it: ipvsadm lists nothing."""
    add_service_with_two_reals()
    assert len(ipvs_table()) == 3
    delete_service()
    assert ipvs_table() == []


@pytest.fixture
def netns() -> Iterator[str]:
    """One namespace joined to the VM's own by a veth pair, 192.0.2.1/24 <-> 192.0.2.2/24."""
    name = "ipvs-smoke"
    run("ip", "netns", "add", name)
    try:
        run("ip", "link", "add", "smoke0", "type", "veth", "peer", "name", "smoke1", "netns", name)
        run("ip", "addr", "add", "192.0.2.1/24", "dev", "smoke0")
        run("ip", "link", "set", "smoke0", "up")
        run("ip", "-n", name, "addr", "add", "192.0.2.2/24", "dev", "smoke1")
        run("ip", "-n", name, "link", "set", "smoke1", "up")
        run("ip", "-n", name, "link", "set", "lo", "up")
        yield name
    finally:
        subprocess.run(["ip", "link", "del", "smoke0"], capture_output=True, timeout=TIMEOUT)
        run("ip", "netns", "del", name)


def test_netns_and_veth_carry_traffic(netns: str) -> None:
    """A ping crosses the veth pair both ways: the lab's namespaces work in the VM."""
    assert " 0% packet loss" in run("ping", "-c", "1", "-W", "5", "192.0.2.2")
    back = run("ip", "netns", "exec", netns, "ping", "-c", "1", "-W", "5", "192.0.2.1")
    assert " 0% packet loss" in back
