"""The lease runner over a fake etcd: take, refuse, re-grant, renew deadlines, etcd down."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pykeepalived.adapters.etcd_lease import EtcdError, Taken
from pykeepalived.vrrp.params import State
from tests.unit.daemon.rt_fakes import Harness
from tests.unit.daemon.rt_specs import daemon_from, instance_text

if TYPE_CHECKING:
    from pathlib import Path

    from pykeepalived.daemon.ports import Ports
    from pykeepalived.specs.lease import LeaseSpec

LEASED = instance_text(extra="version 3\n    advert_int 0.1\n"
                             "    lease_witness http://192.0.2.90:2379\n    lease_ttl 3")


@dataclass
class FakeEtcd:
    """One key, leases that exist until revoked or `expire`d; `down` refuses everything."""

    holder: str = ""
    holder_lease: str = ""
    revision: int = 1
    leases: set[str] = field(default_factory=set)
    down: bool = False
    calls: list[str] = field(default_factory=list)

    def _check(self, call: str) -> None:
        self.calls.append(call)
        if self.down:
            raise EtcdError("connection refused", reached=True)

    async def grant(self, ttl: int) -> str:
        self._check("grant")
        lease = f"L{len(self.calls)}"
        self.leases.add(lease)
        return lease

    async def put_if_absent(self, key: str, value: str, lease: str) -> Taken:
        self._check("txn")
        if lease not in self.leases:
            raise EtcdError("HTTP 404: requested lease not found", reached=True,
                            refused_request=True)
        if self.holder_lease and self.holder_lease in self.leases:
            return Taken(self.holder_lease == lease, self.revision, self.holder,
                         self.holder_lease)
        self.revision += 1
        self.holder, self.holder_lease = value, lease
        return Taken(True, self.revision)

    async def keepalive(self, lease: str) -> int:
        self._check("keepalive")
        return 3 if lease in self.leases else 0

    async def revoke(self, lease: str) -> None:
        self._check("revoke")
        self.leases.discard(lease)

    def expire(self, lease: str) -> None:
        self.leases.discard(lease)


@dataclass
class LeaseHarness(Harness):
    etcd: FakeEtcd = field(default_factory=FakeEtcd)

    def ports(self) -> Ports:
        def open_lease(spec: LeaseSpec) -> FakeEtcd:
            return self.etcd

        return replace(super().ports(), open_lease=open_lease)


async def until(predicate, within: float = 2.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(within / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


def test_takes_the_key_renews_and_lets_go(tmp_path: Path) -> None:
    harness = LeaseHarness()
    etcd = harness.etcd

    async def scenario() -> None:
        runtime = await harness.runtime(daemon_from(LEASED, tmp_path))
        core = runtime.nodes["VI_T"].instance
        await until(lambda: core.state is State.MASTER)
        assert core.lease_revision == 2
        assert etcd.holder == "192.0.2.11"  # the primary address of rt_fakes FACTS
        first = core.lease_until
        assert first is not None
        runner = runtime.leases.runners["VI_T"]
        runner.poke()
        await until(lambda: etcd.calls.count("keepalive") >= 1)
        await until(lambda: (core.lease_until or 0) > first)
        assert runner.summary()["held"] == "yes"
        await runtime.stop()
        await asyncio.sleep(0.05)
        assert etcd.calls[-1] == "revoke"

    asyncio.run(scenario())
    assert "(VI_T) lease /pykeepalived/vrrp/171 taken, revision 2" in harness.log.text()


def test_refused_while_another_holds_it_then_a_fresh_lease_takes_it(tmp_path: Path) -> None:
    harness = LeaseHarness()
    etcd = harness.etcd
    etcd.leases.add("theirs")
    etcd.holder, etcd.holder_lease = "192.0.2.12", "theirs"

    async def scenario() -> None:
        runtime = await harness.runtime(daemon_from(LEASED, tmp_path))
        core = runtime.nodes["VI_T"].instance
        await until(lambda: core.refusal == "lease held by 192.0.2.12")
        assert core.state is State.BACKUP
        ours = next(lease for lease in etcd.leases if lease != "theirs")
        etcd.expire(ours)  # ours expired unused while we were refused
        etcd.expire("theirs")  # and theirs too: the key is free
        runtime.leases.runners["VI_T"].poke()
        await until(lambda: core.state is State.MASTER)
        assert etcd.calls.count("grant") == 2
        assert core.lease_revision == 2
        await runtime.stop()

    asyncio.run(scenario())


def test_etcd_down_lets_vrrp_decide(tmp_path: Path) -> None:
    harness = LeaseHarness()
    harness.etcd.down = True

    async def scenario() -> None:
        runtime = await harness.runtime(daemon_from(LEASED, tmp_path))
        core = runtime.nodes["VI_T"].instance
        await until(lambda: core.state is State.MASTER)
        assert core.lease_until is None
        assert "etcd not serving" in runtime.leases.runners["VI_T"].summary()["error"]
        await runtime.stop()

    asyncio.run(scenario())
