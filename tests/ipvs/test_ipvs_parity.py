"""Parity with keepalived 2.2.7: the same table, programmed by it and by the adapter.

Real keepalived (`-C`, the checker alone) runs Debian's `keepalived.conf.virtual_server_
group` sample, its addresses moved into 192.0.2.0/24 and its mail settings dropped, in a
namespace of its own: 13 services (11 addresses of the group, FWM 1, FWM 2; rr, NAT,
persistent 50) with the same two real servers each (reference §9). The adapter reads
that table back, and programs the same specs in a second namespace: both kernels must
then hold the same entries, for `dump()` and for `ipvsadm -Ln`.

keepalived's real servers fail their HTTP_GET only after retries (3 x 3 s), so the table
is read as soon as it is complete, long before any server is removed.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import time
from ipaddress import ip_address
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pykeepalived.check.lvs import PROTOCOLS, DestSpec, ServiceSpec
from tests.ipvs.ipvs_lab import AdapterLoop, run, table

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [pytest.mark.ipvs, pytest.mark.keepalived]

SAMPLE = Path("/usr/share/doc/keepalived/samples/keepalived.conf.virtual_server_group")
NAMESPACES = ("pk-ipvs-keepalived", "pk-ipvs-ours")
#: the sample's addresses, moved to documentation addresses
MOVES = (("10.0.0.1 8080", "192.0.2.201 8080"), ("10.0.0.2 80", "192.0.2.202 80"),
         ("192.168.200.", "192.0.2."))
PROGRAMMED_LIMIT = 20.0
STOP_LIMIT = 10.0


def adapted_sample() -> str:
    """The sample with documentation addresses and without mail (nothing to mail to)."""
    text = re.sub(r"notification_email \{[^}]*\}", "", SAMPLE.read_text())
    text = "\n".join(line for line in text.splitlines()
                     if not line.strip().startswith(("notification_email_from", "smtp_")))
    for old, new in MOVES:
        text = text.replace(old, new)
    return text


def expected_table() -> dict[ServiceSpec, set[DestSpec]]:
    """What keepalived programs for the adapted sample (reference §9), as specs."""
    tcp = PROTOCOLS["TCP"]
    addresses = [("192.0.2.201", 8080), ("192.0.2.202", 80), ("192.0.2.1", 1358)]
    addresses += [(f"192.0.2.{last}", 80) for last in range(3, 11)]
    services = [ServiceSpec(4, tcp, ip_address(a), port, scheduler="rr", timeout=50)
                for a, port in addresses]
    services += [ServiceSpec(4, 0, fwmark=mark, scheduler="rr", timeout=50) for mark in (1, 2)]
    reals = {DestSpec(ip_address("192.0.2.1"), 1358), DestSpec(ip_address("192.0.2.2"), 1358)}
    return {service: set(reals) for service in services}


@pytest.fixture(scope="module")
def namespaces() -> Iterator[tuple[str, str]]:
    for ns in NAMESPACES:
        run("ip", "netns", "add", ns)
        run("ip", "-n", ns, "link", "set", "lo", "up")
    try:
        yield NAMESPACES
    finally:
        for ns in NAMESPACES:
            run("ip", "netns", "del", ns, check=False)


@contextlib.contextmanager
def keepalived(ns: str, workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """keepalived -C in `ns`; stopped by its PID (SIGTERM, bounded, then SIGKILL)."""
    config = workdir / "keepalived.conf"
    config.write_text(adapted_sample())
    argv = ["ip", "netns", "exec", ns, "keepalived", "-C", "-n", "-l", "-D", "-f", str(config),
            "-p", str(workdir / "k.pid"), "-c", str(workdir / "c.pid"),
            "-r", str(workdir / "v.pid")]
    with (workdir / "keepalived.log").open("wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_LIMIT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_LIMIT)
        listed = run("ip", "netns", "pids", ns, check=False).split()
        for pid in (int(word) for word in listed if word.isdigit()):  # its checker child
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def dumped(loop: AdapterLoop) -> dict[ServiceSpec, set[DestSpec]]:
    return {service: set(dests) for service, dests in loop.run(loop.ipvs.dump()).items()}


def test_adapter_programs_what_keepalived_programs(namespaces: tuple[str, str]) -> None:
    theirs_ns, ours_ns = namespaces
    expected = expected_table()
    theirs = AdapterLoop(theirs_ns)
    ours = AdapterLoop(ours_ns)
    try:
        with tempfile.TemporaryDirectory(prefix="pk-parity-") as tmp, \
                keepalived(theirs_ns, Path(tmp)) as proc:
            deadline = time.monotonic() + PROGRAMMED_LIMIT
            seen: dict[ServiceSpec, set[DestSpec]] = {}
            for _ in range(int(PROGRAMMED_LIMIT / 0.2) + 1):
                seen = dumped(theirs)
                complete = len(seen) == len(expected) and all(len(d) == 2 for d in seen.values())
                if complete or proc.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            log = (Path(tmp) / "keepalived.log").read_text(errors="replace")
            assert seen == expected, f"keepalived's table differs; its log:\n{log}"
            their_rows = table(theirs_ns)
        for service, dests in expected.items():
            ours.run(ours.ipvs.add_service(service))
            for dest in sorted(dests, key=lambda d: int(d.address)):
                ours.run(ours.ipvs.add_dest(service, dest))
        assert dumped(ours) == expected
        assert table(ours_ns) == their_rows
        assert their_rows[0] == ("FWM 1 rr persistent 50", ("-> 192.0.2.1:1358 Masq 1 0 0",
                                                             "-> 192.0.2.2:1358 Masq 1 0 0"))
    finally:
        ours.run(ours.ipvs.flush())
        theirs.run(theirs.ipvs.flush())
        ours.close()
        theirs.close()
