"""A MASTER's steady state costs one send per advert: no Task, no re-encoding.

The chain runs an adverts-and-logs batch at once only when nothing is queued before it
(order is the point of chains); the executor re-sends the bytes it encoded last while
the advert is the same, and encodes again when it changes (priority, addresses) or when
every advert differs (AH's sequence numbers).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from pykeepalived.daemon import executor as executor_module
from pykeepalived.daemon.chains import Chains
from pykeepalived.daemon.packets import ah_state_for
from pykeepalived.daemon.running import RunningInstance
from pykeepalived.vrrp.actions import (
    AddVips,
    Log,
    LogLevel,
    Notify,
    NotifyState,
    SendAdvert,
    SendGratuitous,
)
from pykeepalived.vrrp.advert import Advertisement, AuthType
from pykeepalived.vrrp.instance import VrrpInstance
from tests.unit.daemon.rt_fakes import make_executor
from tests.unit.daemon.rt_specs import daemon_from, instance_text

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from pykeepalived.daemon.executor import Executor, InstanceIO
    from pykeepalived.daemon.packets import AhState
    from pykeepalived.specs.instance import SocketSpec
    from pykeepalived.vrrp.advert import IPAddress


#: FakeFrames records the ethertype of each frame sent: a gratuitous ARP
GARP_171 = "0806"


def advert(priority: int = 100) -> Advertisement:
    return Advertisement(version=2, vrid=171, priority=priority, interval_cs=100,
                         addresses=(IPv4Address("192.0.2.171"),))


def node_for(tmp_path: Path) -> tuple[RunningInstance, Chains, list[tuple[object, ...]]]:
    spec = daemon_from(instance_text(), tmp_path).instances[0]
    executor, io, rec, _, log = make_executor(spec)
    node = RunningInstance(spec, VrrpInstance(spec.params), None, io, io.sender)  # type: ignore[arg-type]
    return node, Chains(executor, log), rec.calls


def held(chains: Chains, node: RunningInstance) -> asyncio.Event:
    """Queue a batch that waits until the returned event is set: a busy chain."""
    release = asyncio.Event()

    async def slow() -> None:
        await release.wait()
    chains.run_after(node, slow)
    return release


def test_an_advert_batch_on_an_idle_chain_is_sent_before_execute_returns(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        node, chains, calls = node_for(tmp_path)
        chains.execute(node, [SendAdvert(advert()), Log("tick", LogLevel.DEBUG)])
        assert calls == [("advert", "224.0.0.18", 100)]
        assert node.chain is None  # no Task was made for it
    asyncio.run(scenario())


def test_an_advert_batch_waits_behind_a_queued_batch(tmp_path: Path) -> None:
    async def scenario() -> None:
        node, chains, calls = node_for(tmp_path)
        release = asyncio.Event()

        async def slow() -> None:
            await release.wait()
            calls.append(("slow done",))
        chains.run_after(node, slow)
        chains.execute(node, [SendAdvert(advert(90))])
        assert calls == []  # behind `slow`, not overtaking it
        release.set()
        await chains.settle([node])
        assert calls == [("slow done",), ("advert", "224.0.0.18", 90)]
    asyncio.run(scenario())


def test_a_batch_that_awaits_still_goes_through_a_task(tmp_path: Path) -> None:
    async def scenario() -> None:
        node, chains, calls = node_for(tmp_path)
        chains.execute(node, [SendAdvert(advert()), AddVips()])
        assert node.chain is not None
        assert calls == []
        await chains.settle([node])
        assert calls == [("advert", "224.0.0.18", 100), ("add", "192.0.2.171/24")]
    asyncio.run(scenario())


def test_an_answer_to_a_lower_priority_advert_runs_at_once(tmp_path: Path) -> None:
    """Advert, unpaced GARPs and the notify: what a MASTER sends back, no Task."""
    async def scenario() -> None:
        node, chains, calls = node_for(tmp_path)
        chains.execute(node, [SendAdvert(advert()), SendGratuitous(2),
                              Notify(NotifyState.MASTER_RX_LOWER_PRI, 100)])
        assert node.chain is None
        assert calls == [("advert", "224.0.0.18", 100), ("frame", GARP_171), ("frame", GARP_171),
                         ("notify", "VI_T", "MASTER_RX_LOWER_PRI", 100)]
    asyncio.run(scenario())


def test_paced_gratuitous_bursts_go_through_a_task(tmp_path: Path) -> None:
    async def scenario() -> None:
        text = "global_defs {\n vrrp_garp_interval 0.01\n}\n" + instance_text()
        spec = daemon_from(text, tmp_path).instances[0]
        executor, io, rec, _, log = make_executor(spec)
        node = RunningInstance(spec, VrrpInstance(spec.params), None, io, io.sender)  # type: ignore[arg-type]
        chains = Chains(executor, log)
        chains.execute(node, [SendGratuitous(2)])
        assert node.chain is not None
        await chains.settle([node])
        assert rec.calls == [("frame", GARP_171), ("sleep", 0.01),
                             ("frame", GARP_171), ("sleep", 0.01)]
    asyncio.run(scenario())


def test_bursts_waiting_behind_a_busy_chain_coalesce_into_one(tmp_path: Path) -> None:
    """A storm of lower-priority adverts while the chain waits (netlink, a paced burst)
    queues one burst, not one per advert; the adverts and notifies all still go."""
    async def scenario() -> None:
        node, chains, calls = node_for(tmp_path)
        release = held(chains, node)
        for _ in range(100):
            chains.execute(node, [SendAdvert(advert()), SendGratuitous(1)])
        assert chains.coalesced == 99
        release.set()
        await chains.settle([node])
        assert calls.count(("frame", GARP_171)) == 1
        assert calls.count(("advert", "224.0.0.18", 100)) == 100
        # the waiting burst has run: the next one is sent again
        chains.execute(node, [SendGratuitous(1)])
        await chains.settle([node])
        assert calls.count(("frame", GARP_171)) == 2
        assert chains.coalesced == 99
    asyncio.run(scenario())


def test_a_burst_alone_behind_one_waiting_is_dropped_whole(tmp_path: Path) -> None:
    async def scenario() -> None:
        node, chains, calls = node_for(tmp_path)
        release = held(chains, node)
        chains.execute(node, [SendGratuitous(1)])
        queued = node.chain
        chains.execute(node, [SendGratuitous(1)])
        assert node.chain is queued  # nothing left to queue
        release.set()
        await chains.settle([node])
        assert calls == [("frame", GARP_171)]
    asyncio.run(scenario())


def test_a_failing_immediate_batch_is_counted_and_logged(tmp_path: Path) -> None:
    node, chains, _ = node_for(tmp_path)

    def broken(payload: bytes, destination: object) -> bool:
        raise OSError("boom")
    node.io.sender.send = broken  # type: ignore[method-assign]
    chains.execute(node, [SendAdvert(advert())])
    assert chains.failures == 1


class CountingEncoder:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = executor_module.advert_datagrams

        def counted(sock: SocketSpec, adv: Advertisement,
                    ah: AhState | None) -> list[tuple[bytes, IPAddress]]:
            self.calls += 1
            return real(sock, adv, ah)
        monkeypatch.setattr(executor_module, "advert_datagrams", counted)


def sent(executor: Executor, io: InstanceIO, *adverts: Advertisement) -> None:
    for one in adverts:
        executor.send_advert(io, one)


def test_the_same_advert_is_encoded_once(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    encoder = CountingEncoder(monkeypatch)
    spec = daemon_from(instance_text(), tmp_path).instances[0]
    executor, io, rec, _, _ = make_executor(spec)
    sent(executor, io, advert(), advert(), advert())
    assert encoder.calls == 1
    assert rec.calls == [("advert", "224.0.0.18", 100)] * 3


def test_a_changed_advert_is_encoded_again(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    encoder = CountingEncoder(monkeypatch)
    spec = daemon_from(instance_text(), tmp_path).instances[0]
    executor, io, rec, _, _ = make_executor(spec)
    sent(executor, io, advert(100), advert(90), advert(90), advert(100))
    assert encoder.calls == 3
    assert [call[2] for call in rec.calls] == [100, 90, 90, 100]


def test_a_new_socket_spec_is_encoded_again(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    encoder = CountingEncoder(monkeypatch)
    spec = daemon_from(instance_text(), tmp_path).instances[0]
    executor, io, _, _, _ = make_executor(spec)
    sent(executor, io, advert())
    io.spec = replace(spec, socket=replace(spec.socket))
    sent(executor, io, advert())
    assert encoder.calls == 2


def test_ah_adverts_are_never_reused(tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    encoder = CountingEncoder(monkeypatch)
    text = instance_text(extra="authentication {\n auth_type AH\n auth_pass secret\n }")
    spec = daemon_from(text, tmp_path).instances[0]
    executor, io, _, _, _ = make_executor(spec)
    io.ah = ah_state_for(spec)
    sent(executor, io, replace(advert(), auth_type=AuthType.AH),
         replace(advert(), auth_type=AuthType.AH))
    assert encoder.calls == 2


def test_the_fencing_token_reaches_the_notify_scripts_on_both_paths(tmp_path: Path) -> None:
    """At once (an idle chain) and behind an awaiting batch: a lease holder's notify
    carries the token and the key (docs/cloud-recipe.md)."""
    async def scenario() -> list[tuple[object, ...]]:
        text = instance_text(extra="lease_witness http://192.0.2.93:2379\n    lease_ttl 2")
        spec = daemon_from(text, tmp_path).instances[0]
        assert spec.lease is not None
        executor, io, rec, _, log = make_executor(spec)
        node = RunningInstance(spec, VrrpInstance(spec.params), None, io, io.sender)  # type: ignore[arg-type]
        chains = Chains(executor, log)
        chains.execute(node, [Notify(NotifyState.MASTER, 100, fencing_token=7)])
        chains.execute(node, [AddVips(), Notify(NotifyState.MASTER, 100, fencing_token=8)])
        await chains.settle([node])
        return [call for call in rec.calls if call[0] == "notify"]

    key = ("PYKEEPALIVED_LEASE_KEY", _lease_key(tmp_path))
    assert asyncio.run(scenario()) == [
        ("notify", "VI_T", "MASTER", 100, ("PYKEEPALIVED_FENCING_TOKEN", "7"), key),
        ("notify", "VI_T", "MASTER", 100, ("PYKEEPALIVED_FENCING_TOKEN", "8"), key)]


def _lease_key(tmp_path: Path) -> str:
    text = instance_text(extra="lease_witness http://192.0.2.93:2379\n    lease_ttl 2")
    lease = daemon_from(text, tmp_path, name="key.conf").instances[0].lease
    assert lease is not None
    return lease.key
