"""A check-side reload through the real driver: only the difference reaches IPVS.

The scenario is the one recorded from keepalived 2.2.7 in the check reference (§10):
VS .100 changes scheduler rr -> wlc, its server 8080 weight 1 -> 4, its failed server
8081 goes and 8084 comes; VS .104 goes; VS .103 comes. keepalived's IPVS commands, in
order: EDIT_SERVICE .100; DEL_DEST .104->8080; DEL_SERVICE .104; EDIT_DEST .100->8080
weight 4; ADD_DEST .100->8084; ADD_SERVICE .103; ADD_DEST .103->8080.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from ipaddress import ip_address
from typing import Any

from pykeepalived.check.lvs import PROTOCOLS, ServiceSpec
from pykeepalived.check.results import ProbeResult
from pykeepalived.daemon.checking import CheckRuntime
from pykeepalived.specs.check import CheckSpec
from tests.unit.check.fakes import Lines, RecordingIpvs, ports
from tests.unit.check.servers import real, tcp, virtual


def vs(address: str, *servers: Any, scheduler: str = "rr") -> Any:
    service = ServiceSpec(4, PROTOCOLS["TCP"], ip_address(address), 80, scheduler=scheduler)
    spec = virtual(*servers)
    return replace(spec, label=f"[{address}]:tcp:80", services=(service,),
                   key=(4, 6, ip_address(address), 80))


def test_reload_touches_only_the_difference_in_keepalived_order() -> None:
    before = CheckSpec(virtual_servers=(
        vs("192.0.2.100", real(8080, tcp(8080)), real(8081, tcp(8081))),
        vs("192.0.2.104", real(8080, tcp(8080))),
    ))
    after = CheckSpec(virtual_servers=(
        vs("192.0.2.100", real(8080, tcp(8080), weight=4), real(8084, tcp(8084)),
           scheduler="wlc"),
        vs("192.0.2.103", real(8080, tcp(8080))),
    ))
    ipvs, log = RecordingIpvs(), Lines()

    async def scenario() -> None:
        runtime = CheckRuntime(ports(ipvs), log, random_fraction=lambda: 0.0)
        await runtime.start(before)
        core = runtime.cores[0]
        core.due(core.next_deadline() or 0.0)
        runtime._execute(0, core.probe_done(1, ProbeResult.failure("failed"), runtime.now()))
        await runtime.settle()
        ipvs.calls.clear()
        log.lines.clear()
        await runtime.reload(after)
        await runtime.stop(release=False)

    asyncio.run(scenario())
    assert ipvs.calls == [
        "EDIT_SERVICE 192.0.2.100 wlc",
        "DEL_DEST 192.0.2.104->8080",
        "DEL_SERVICE 192.0.2.104",
        "EDIT_DEST 192.0.2.100->8080 w4",
        "ADD_DEST 192.0.2.100->8084 w1",
        "ADD_SERVICE 192.0.2.103 rr",
        "ADD_DEST 192.0.2.103->8080 w1",
    ]
    assert log.lines[:5] == [
        "service [192.0.2.10]:tcp:8081 no longer exist",
        "Removing Virtual Server [192.0.2.104]:tcp:80",
        "Removing service [192.0.2.10]:tcp:8080 from VS [192.0.2.104]:tcp:80",
        "Changing weight from 1 to 4 for active service [192.0.2.10]:tcp:8080 of VS "
        "[192.0.2.100]:tcp:80",
        "Gained quorum 1+0=1 <= 1 for VS [192.0.2.103]:tcp:80",
    ]


def test_unchanged_reload_sends_nothing_to_ipvs_and_keeps_verdicts() -> None:
    spec = CheckSpec(virtual_servers=(vs("192.0.2.100", real(8080, tcp(8080)),
                                         real(8081, tcp(8081))),))
    ipvs, log = RecordingIpvs(), Lines()

    async def scenario() -> tuple[bool, bool]:
        runtime = CheckRuntime(ports(ipvs), log, random_fraction=lambda: 0.0)
        await runtime.start(spec)
        core = runtime.cores[0]
        core.due(core.next_deadline() or 0.0)
        runtime._execute(0, core.probe_done(1, ProbeResult.failure("failed"), runtime.now()))
        await runtime.settle()
        ipvs.calls.clear()
        await runtime.reload(spec)
        servers = runtime.cores[0].servers
        await runtime.stop(release=False)
        return servers[0].alive, servers[1].alive

    assert asyncio.run(scenario()) == (True, False)  # the failed server stays out
    assert ipvs.calls == []


def test_leftovers_of_a_previous_run_are_adopted_and_cleaned() -> None:
    """Our service already in the kernel with another scheduler and a server we no longer
    configure: the scheduler is made ours and the stale server taken out; a service we
    do not configure is left alone."""
    ours = vs("192.0.2.100", real(8080, tcp(8080)))
    service = ours.services[0]
    stale = ours.real_servers[0].dest(service, 1)
    leftover = replace(stale, port=9090)
    foreign = replace(service, address=ip_address("192.0.2.200"))
    ipvs = RecordingIpvs(table={replace(service, scheduler="wlc"): (stale, leftover),
                                foreign: (leftover,)})
    log = Lines()

    async def scenario() -> None:
        runtime = CheckRuntime(ports(ipvs), log, random_fraction=lambda: 0.0)
        await runtime.start(CheckSpec(virtual_servers=(ours,)))
        await runtime.stop(release=False)

    asyncio.run(scenario())
    assert ipvs.calls[:2] == ["EDIT_SERVICE 192.0.2.100 rr", "DEL_DEST 192.0.2.100->9090"]
    assert "192.0.2.200" not in " ".join(ipvs.calls)
    assert ("Removing leftover real server [192.0.2.10]:9090 from VS [192.0.2.100]:tcp:80"
            " (not configured)") in log.lines
