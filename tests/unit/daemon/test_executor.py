"""The executor against recording fakes: a takeover's calls in keepalived's order."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pykeepalived.vrrp.actions import LogLevel
from pykeepalived.vrrp.events import Shutdown, Startup, Timeout
from pykeepalived.vrrp.instance import VrrpInstance
from pykeepalived.vrrp.params import State
from tests.unit.daemon.rt_fakes import make_executor
from tests.unit.daemon.rt_specs import daemon_from, instance_text

if TYPE_CHECKING:
    from pathlib import Path


ARP = ("frame", "0806")
NA = ("frame", "86dd")


def become_master(inst: VrrpInstance) -> tuple[float, list]:
    inst.handle(Startup(), now=0.0)
    due = inst.next_deadline()
    assert due is not None
    actions = inst.handle(Timeout(), now=due)
    assert inst.state is State.MASTER
    return due, actions


def test_takeover_is_advert_then_vips_then_five_garps_then_notify(tmp_path: Path) -> None:
    spec = daemon_from(instance_text(vips="192.0.2.171/24\n192.0.2.172/24"),
                       tmp_path).instances[0]
    executor, io, rec, _, log = make_executor(spec)
    _, actions = become_master(VrrpInstance(spec.params))
    asyncio.run(executor.run(io, actions))
    assert rec.calls == [
        ("advert", "224.0.0.18", 100),
        ("add", "192.0.2.171/24"), ("add", "192.0.2.172/24"),
        *[ARP] * 10,  # 5 per VIP
        ("notify", "VI_T", "MASTER", 100),
    ]
    assert ("(VI_T) Sending/queueing gratuitous ARPs on eth0 for 192.0.2.171",
            LogLevel.DETAIL) in log.lines
    assert ("Sending gratuitous ARP on eth0 for 192.0.2.172", LogLevel.DETAIL) in log.lines


def test_second_burst_comes_exactly_garp_master_delay_later(tmp_path: Path) -> None:
    spec = daemon_from(instance_text(), tmp_path).instances[0]
    executor, io, rec, _, _ = make_executor(spec)
    inst = VrrpInstance(spec.params)
    became, actions = become_master(inst)
    asyncio.run(executor.run(io, actions))
    bursts: list[float] = []
    for _ in range(20):  # bounded walk over the virtual clock
        due = inst.next_deadline()
        assert due is not None
        if due > became + 6:
            break
        rec.calls.clear()
        asyncio.run(executor.run(io, inst.handle(Timeout(), now=due)))
        if ARP in rec.calls:
            assert rec.calls.count(ARP) == 5
            bursts.append(due - became)
    assert bursts == [spec.params.garp.master_delay] == [5.0]


def test_garp_interval_paces_every_frame(tmp_path: Path) -> None:
    text = "global_defs {\n vrrp_garp_interval 0.002\n}\n" + instance_text()
    spec = daemon_from(text, tmp_path).instances[0]
    executor, io, rec, sleeps, _ = make_executor(spec)
    _, actions = become_master(VrrpInstance(spec.params))
    asyncio.run(executor.run(io, actions))
    assert sleeps == [0.002] * 5
    frames = [c for c in rec.calls if c[0] in ("frame", "sleep")]
    assert frames == [ARP, ("sleep", 0.002)] * 5


def test_ipv6_vips_get_unsolicited_nas(tmp_path: Path) -> None:
    text = instance_text(vips="2001:db8::171/64", extra="native_ipv6")
    text = text.replace("advert_int 1", "advert_int 1\n    version 3")
    spec = daemon_from(text, tmp_path).instances[0]
    executor, io, rec, _, _ = make_executor(spec)
    _, actions = become_master(VrrpInstance(spec.params))
    asyncio.run(executor.run(io, actions))
    assert rec.calls[0] == ("advert", "ff02::12", 100)
    assert rec.calls.count(NA) == 5
    assert ARP not in rec.calls


def test_shutdown_sends_priority_zero_then_removes(tmp_path: Path) -> None:
    spec = daemon_from(instance_text(), tmp_path).instances[0]
    executor, io, rec, _, _ = make_executor(spec)
    inst = VrrpInstance(spec.params)
    due, actions = become_master(inst)
    asyncio.run(executor.run(io, actions))
    rec.calls.clear()
    asyncio.run(executor.run(io, inst.handle(Shutdown(), now=due + 0.5)))
    assert rec.calls == [("advert", "224.0.0.18", 0), ("delete", "192.0.2.171/24"),
                         ("notify", "VI_T", "STOP", 100)]


def test_dont_release_keeps_vips_but_still_says_goodbye(tmp_path: Path) -> None:
    spec = daemon_from(instance_text(), tmp_path).instances[0]
    executor, io, rec, _, _ = make_executor(spec, release=False)
    inst = VrrpInstance(spec.params)
    due, actions = become_master(inst)
    asyncio.run(executor.run(io, actions))
    rec.calls.clear()
    asyncio.run(executor.run(io, inst.handle(Shutdown(), now=due + 0.5)))
    assert ("advert", "224.0.0.18", 0) in rec.calls
    assert not [c for c in rec.calls if c[0] == "delete"]


def test_unicast_sends_one_copy_per_peer(tmp_path: Path) -> None:
    extra = "unicast_src_ip 192.0.2.11\n unicast_peer {\n 192.0.2.12\n 192.0.2.13\n }"
    spec = daemon_from(instance_text(extra=extra), tmp_path).instances[0]
    executor, io, rec, _, _ = make_executor(spec)
    _, actions = become_master(VrrpInstance(spec.params))
    asyncio.run(executor.run(io, actions))
    assert rec.calls[:2] == [("advert", "192.0.2.12", 100), ("advert", "192.0.2.13", 100)]


def test_readd_vip_puts_back_only_that_address_and_announces_it(tmp_path: Path) -> None:
    spec = daemon_from(instance_text(vips="192.0.2.171/24\n192.0.2.172/24"),
                       tmp_path).instances[0]
    executor, io, rec, _, _ = make_executor(spec)
    asyncio.run(executor.readd_vip(io, spec.vips[1].address.ip))
    assert rec.calls == [("add", "192.0.2.172/24"), ARP]
