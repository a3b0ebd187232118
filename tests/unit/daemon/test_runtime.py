"""The driver over fake ports: dispatch, drops, tracking, VIP re-add, reload and stop."""

from __future__ import annotations

import asyncio
import time
from ipaddress import IPv4Address, IPv6Address, ip_interface
from typing import TYPE_CHECKING

from pykeepalived.adapters.datagram import Datagram
from pykeepalived.adapters.netlink_events import AddressRemoved, LinkChanged
from pykeepalived.daemon.running import LATE_TIMER, defer_late_timer, stall_floor
from pykeepalived.daemon.runtime import Runtime, arrival_time
from pykeepalived.specs.reload import plan_reload
from pykeepalived.vrrp.advert import Advertisement
from pykeepalived.vrrp.events import Startup, Timeout
from pykeepalived.vrrp.instance import VrrpInstance
from pykeepalived.vrrp.packet import encode
from pykeepalived.vrrp.params import State
from pykeepalived.vrrp.tracking import ScriptResult
from tests.unit.daemon.rt_fakes import GROUP, PEER, FakeNetlink, Harness, datagram
from tests.unit.daemon.rt_specs import daemon_from, instance_text

if TYPE_CHECKING:
    from pathlib import Path

    from pykeepalived.specs.build import DaemonSpec


def test_receive_dispatch_drops_and_the_exception_boundary(tmp_path: Path) -> None:
    harness = Harness()

    async def scenario() -> None:
        runtime = await harness.runtime(daemon_from(instance_text(), tmp_path))
        inst = runtime.nodes["VI_T"].instance
        assert inst.state is State.BACKUP
        deliver = harness.sockets[0].callback
        assert deliver is not None
        deliver(datagram())
        assert (inst.stats.advert_rcvd, inst.state) == (1, State.BACKUP)
        corrupted = bytearray(datagram().payload)
        corrupted[7] ^= 0xFF
        deliver(datagram(payload=bytes(corrupted)))
        assert inst.stats.chk_err == 1
        deliver(datagram(vrid=99))
        assert runtime.unknown_vrid == 1
        odd = Datagram(payload=datagram().payload, source=PEER,
                       destination=IPv6Address("ff02::12"), ttl=255, ifindex=2, protocol=112)
        deliver(odd)  # families differ: the codec raises ValueError, the boundary holds
        assert runtime.unexpected_errors == 1
        await runtime.stop()

    asyncio.run(scenario())
    # a backup at start clears VIPs a crashed predecessor may have left
    assert ("delete", "192.0.2.171/24") in harness.rec.calls
    assert "(VI_T) Entering BACKUP STATE (init)" in harness.log.text()


def test_link_down_faults_and_link_up_recovers(tmp_path: Path) -> None:
    harness = Harness()

    async def scenario() -> list[State]:
        runtime = await harness.runtime(daemon_from(instance_text(), tmp_path))
        inst = runtime.nodes["VI_T"].instance
        assert harness.watcher is not None
        seen = [inst.state]
        harness.watcher.callback(LinkChanged("eth0", 2, False, "DOWN"))
        seen.append(inst.state)
        harness.watcher.callback(LinkChanged("eth0", 2, False, "DOWN"))  # no change: ignored
        harness.watcher.callback(LinkChanged("eth0", 2, True, "UP"))
        seen.append(inst.state)
        await runtime.stop()
        return seen

    assert asyncio.run(scenario()) == [State.BACKUP, State.FAULT, State.BACKUP]
    assert harness.log.text().count("Netlink reports eth0 down") == 1
    assert "(VI_T) Entering FAULT STATE" in harness.log.text()


def owner_text(priority: int = 255, vips: str = "192.0.2.171/24") -> str:
    return instance_text(priority=priority, vips=vips)


def test_vip_removed_behind_our_back_is_put_back(tmp_path: Path) -> None:
    harness = Harness()

    async def scenario() -> None:
        runtime = await harness.runtime(daemon_from(owner_text(), tmp_path))
        assert runtime.nodes["VI_T"].instance.state is State.MASTER
        harness.rec.calls.clear()
        assert harness.watcher is not None
        harness.watcher.callback(AddressRemoved("eth0", 2, ip_interface("192.0.2.171/24")))
        harness.watcher.callback(AddressRemoved("eth0", 2, ip_interface("192.0.2.99/24")))
        await runtime.settle()
        assert harness.rec.calls == [("add", "192.0.2.171/24"), ("frame", "0806")]
        await runtime.stop()

    asyncio.run(scenario())


def test_reload_of_a_changed_master_keeps_it_master_silently(tmp_path: Path) -> None:
    harness = Harness()

    async def scenario() -> None:
        old = daemon_from(owner_text(), tmp_path, "a.conf")
        runtime = await harness.runtime(old)
        new = daemon_from(owner_text(priority=200, vips="192.0.2.172/24"), tmp_path, "b.conf")
        harness.rec.calls.clear()
        plan = plan_reload({s.name: s for s in old.instances}, new.instances)
        await runtime.apply_reload(new, plan)
        await runtime.settle()
        node = runtime.nodes["VI_T"]
        assert (node.instance.state, node.instance.effective_priority) == (State.MASTER, 200)
        calls = harness.rec.calls
        assert ("delete", "192.0.2.171/24") in calls  # no longer configured
        assert calls[calls.index(("delete", "192.0.2.171/24")) + 1:][:2] == [
            ("advert", "224.0.0.18", 200), ("add", "192.0.2.172/24")]
        assert not [c for c in calls if c[0] == "notify"]
        assert harness.sockets[0].closed
        assert not harness.sockets[1].closed
        await runtime.stop()

    asyncio.run(scenario())


def test_reload_removing_an_instance_releases_it_and_reports_deleted(tmp_path: Path) -> None:
    harness = Harness()

    async def scenario() -> None:
        old = daemon_from(owner_text(), tmp_path, "a.conf")
        runtime = await harness.runtime(old)
        new = daemon_from(instance_text(vrid=172, vips="192.0.2.172/24"), tmp_path, "b.conf")
        harness.rec.calls.clear()
        plan = plan_reload({s.name: s for s in old.instances}, new.instances)
        await runtime.apply_reload(new, plan)
        await runtime.settle()
        calls = harness.rec.calls
        assert calls[:3] == [("advert", "224.0.0.18", 0), ("delete", "192.0.2.171/24"),
                             ("notify", "VI_T", "DELETED", 255)]
        assert runtime.nodes["VI_T"].spec.params.vrid == 172
        await runtime.stop()

    asyncio.run(scenario())


def test_stop_shuts_every_instance_down_and_drains_notifies(tmp_path: Path) -> None:
    harness = Harness()

    async def scenario() -> None:
        runtime = await harness.runtime(daemon_from(owner_text(), tmp_path))
        harness.rec.calls.clear()
        await runtime.stop()

    asyncio.run(scenario())
    assert harness.rec.calls == [("advert", "224.0.0.18", 0), ("delete", "192.0.2.171/24"),
                                 ("notify", "VI_T", "STOP", 255), ("drain", 1.0)]
    assert harness.sockets[0].closed


def test_dash_v_keeps_vips_at_stop_only(tmp_path: Path) -> None:
    harness = Harness()

    async def scenario() -> None:
        runtime = Runtime(harness.ports(), harness.log, release_vips=False)
        await runtime.start_watcher()
        await runtime.gather_facts(["eth0"])
        await runtime.start(daemon_from(owner_text(), tmp_path))
        await runtime.settle()
        assert runtime.executor.release_vips  # a running MASTER that steps down still releases
        harness.rec.calls.clear()
        await runtime.stop()

    asyncio.run(scenario())
    assert ("advert", "224.0.0.18", 0) in harness.rec.calls
    assert not [c for c in harness.rec.calls if c[0] == "delete"]


SCRIPTED = """vrrp_script chk {
    script "/bin/false"
    interval 1
    weight -60
}
""" + instance_text(extra="track_script {\n chk\n }")


def test_a_failing_weighted_script_lowers_the_priority(tmp_path: Path) -> None:
    harness = Harness()
    ran = asyncio.Event()

    async def failing(command: object, time_limit: float) -> ScriptResult:
        ran.set()
        return ScriptResult.exited(1)

    async def scenario() -> int:
        ports = harness.ports()
        ports.run_command = failing
        runtime = Runtime(ports, harness.log)
        await runtime.start_watcher()
        await runtime.gather_facts(["eth0"])
        await runtime.start(daemon_from(SCRIPTED, tmp_path))
        await asyncio.wait_for(ran.wait(), 2.0)
        inst = runtime.nodes["VI_T"].instance
        for _ in range(10):  # the verdict is fed right after the run returns
            if inst.effective_priority != 100:
                break
            await asyncio.sleep(0)
        await runtime.stop()
        return inst.effective_priority

    assert asyncio.run(scenario()) == 40
    assert "VRRP_Script(chk) failed (exited with status 1)" in harness.log.text()
    assert "(VI_T) Changing effective priority from 100 to 40" in harness.log.text()


def test_dump_signals_write_keepalived_files_and_stats_clear_zeroes(tmp_path: Path) -> None:
    import json

    from pykeepalived.config.load import load_config
    from pykeepalived.daemon.reload import Running
    from pykeepalived.daemon.service import Live, _dump
    from pykeepalived.daemon.signals import Control
    from tests.unit.daemon.rt_specs import HOST

    harness = Harness()
    path = tmp_path / "k.conf"
    path.write_text(owner_text())
    config = load_config(str(path), host=HOST).config
    assert config is not None
    out = tmp_path / "dumps"
    out.mkdir()

    async def scenario() -> None:
        daemon = daemon_from(owner_text(), tmp_path)
        runtime = await harness.runtime(daemon)
        running = Running(config, daemon)
        _dump(Live(runtime, running), Control.JSON, str(out))
        _dump(Live(runtime, running), Control.STATS_CLEAR, str(out))
        assert runtime.nodes["VI_T"].instance.stats.advert_sent == 0
        await runtime.stop()

    asyncio.run(scenario())
    (entry,) = json.loads((out / "keepalived.json").read_text())
    assert (entry["data"]["iname"], entry["data"]["state"]) == ("VI_T", 2)
    assert entry["stats"]["advert_sent"] == 1
    assert "Sent: 1" in (out / "keepalived.stats").read_text()


class CleanHarness(Harness):
    """A start on an interface where nobody left anything behind."""

    def make_netlink(self) -> FakeNetlink:
        return FakeNetlink(self.rec, stale=())


def started_calls(harness: Harness, daemon: DaemonSpec) -> list[tuple[object, ...]]:
    async def scenario() -> None:
        runtime = await harness.runtime(daemon)
        await runtime.stop()
    asyncio.run(scenario())
    return [call for call in harness.rec.calls if call[0] == "delete"]


def test_a_start_removes_only_the_vips_its_interface_has(tmp_path: Path) -> None:
    daemon = daemon_from(instance_text(vips="192.0.2.171/24\n192.0.2.172/24"), tmp_path)
    deletes = started_calls(Harness(), daemon)
    # the left-over .171 at start, then both at stop (priority 0, VIPs released)
    assert deletes[0] == ("delete", "192.0.2.171/24")
    assert ("delete", "192.0.2.172/24") not in deletes[:1]


def test_a_start_on_a_clean_interface_asks_netlink_nothing(tmp_path: Path) -> None:
    harness = CleanHarness()

    async def scenario() -> None:
        runtime = await harness.runtime(daemon_from(instance_text(), tmp_path))
        assert not [c for c in harness.rec.calls if c[0] == "delete"]
        assert "(VI_T) Entering BACKUP STATE (init)" in harness.log.text()
        await runtime.stop()
    asyncio.run(scenario())


def test_a_vip_on_an_interface_not_read_at_start_is_removed_anyway(tmp_path: Path) -> None:
    """`dev eth9` is not among the interfaces read: not knowing, the start removes it."""
    text = instance_text(vips="192.0.2.171/24\n192.0.2.173/24 dev eth9")
    deletes = started_calls(CleanHarness(), daemon_from(text, tmp_path))
    assert deletes[0] == ("delete", "192.0.2.173/24")


def test_one_listener_per_link_reads_everything_the_others_their_vrid(tmp_path: Path) -> None:
    """The first instance on eth0 counts what nobody runs; the kernel filters the rest."""
    harness = Harness()
    text = instance_text() + instance_text(name="VI_U", vrid=172, vips="192.0.2.172/24")

    async def scenario() -> None:
        runtime = await harness.runtime(daemon_from(text, tmp_path))
        listener, other = harness.sockets
        assert (listener.vrid_filter, other.vrid_filter) == (None, 172)
        assert listener.callback is not None
        assert other.callback is not None
        listener.callback(datagram(vrid=99))
        other.callback(datagram(vrid=99))  # as with an unfiltered socket: not twice
        assert runtime.unknown_vrid == 1
        listener.callback(datagram(vrid=172))  # VI_U's, read by its own socket too
        assert runtime.unknown_vrid == 1
        await runtime.stop()
    asyncio.run(scenario())


def test_a_backup_resumed_after_a_stop_reads_its_queued_adverts_first(tmp_path: Path) -> None:
    """SIGSTOP for longer than the down timer: at SIGCONT the timer is overdue and the
    socket holds the master's adverts, each received before the timer would have
    expired. Dated by the kernel's receive time they keep the backup a backup;
    dated "now", the overdue timer fires first and the backup flaps to MASTER."""
    harness = Harness()
    advert = Advertisement(version=3, vrid=171, priority=200, interval_cs=5,
                           addresses=(IPv4Address("192.0.2.171"),))
    payload = encode(advert, source=PEER, destination=GROUP)

    def received(age: float) -> Datagram:
        return Datagram(payload=payload, source=PEER, destination=GROUP, ttl=255, ifindex=2,
                        protocol=112, received_ns=time.time_ns() - int(age * 1e9))

    async def scenario() -> list[State]:
        text = instance_text(extra="version 3\n    advert_int 0.05")
        runtime = await harness.runtime(daemon_from(text, tmp_path))
        inst = runtime.nodes["VI_T"].instance
        deliver = harness.sockets[0].callback
        assert deliver is not None
        deliver(received(0.0))
        down = inst.master_down_timer
        stopped = 4 * down
        time.sleep(stopped)  # noqa: ASYNC251 - the daemon is stopped: the loop does not run
        seen = []
        for n in range(1, int(stopped / 0.05)):  # queued meanwhile, one every 0.05 s
            deliver(received(stopped - n * 0.05))
            seen.append(inst.state)
        await asyncio.sleep(down / 4)  # the timers run again (none is due)
        seen.append(inst.state)
        await runtime.stop()
        return seen

    assert set(asyncio.run(scenario())) == {State.BACKUP}
    assert "(VI_T) Entering MASTER STATE" not in harness.log.text()
    assert ("add", "192.0.2.171/24") not in harness.rec.calls


def test_arrival_time_is_the_kernel_receive_time_kept_between_bounds() -> None:
    now, wall = 100.0, 5_000_000_000_000
    assert arrival_time(now, wall, None, since=90.0) == now  # no timestamp: now
    assert arrival_time(now, wall, wall - 2_000_000_000, since=90.0) == 98.0
    assert arrival_time(now, wall, wall - 20_000_000_000, since=90.0) == 90.0  # not before
    assert arrival_time(now, wall, wall + 1_000_000_000, since=90.0) == now  # not after


def test_a_master_resumed_after_a_stop_sends_no_catch_up_burst(tmp_path: Path) -> None:
    """A MASTER's queued lower-priority adverts are answered now: one advert each (the
    forced election) and one for the overdue timer, not one per missed interval."""
    harness = Harness()
    advert = Advertisement(version=3, vrid=171, priority=100, interval_cs=5,
                           addresses=(IPv4Address("192.0.2.171"),))
    payload = encode(advert, source=PEER, destination=GROUP)

    async def scenario() -> int:
        text = instance_text(priority=255, extra="version 3\n    advert_int 0.05")
        runtime = await harness.runtime(daemon_from(text, tmp_path))
        assert runtime.nodes["VI_T"].instance.state is State.MASTER
        deliver = harness.sockets[0].callback
        assert deliver is not None
        await runtime.settle()
        harness.rec.calls.clear()
        time.sleep(0.5)  # noqa: ASYNC251 - the daemon is stopped: the loop does not run
        for n in range(1, 10):  # queued meanwhile, one every 0.05 s
            deliver(Datagram(payload=payload, source=PEER, destination=GROUP, ttl=255,
                             ifindex=2, protocol=112,
                             received_ns=time.time_ns() - int((0.5 - n * 0.05) * 1e9)))
        await runtime.settle()
        sent = sum(1 for call in harness.rec.calls if call[0] == "advert")
        await runtime.stop()
        return sent

    assert asyncio.run(scenario()) <= 9 + 2


def test_a_late_timer_waits_one_poll_once() -> None:
    assert not defer_late_timer(0.001, deferred=False)  # on time: runs
    assert defer_late_timer(0.5, deferred=False)  # the loop did not run: read first
    assert not defer_late_timer(0.5, deferred=True)  # but only once
    assert not defer_late_timer(0.05, deferred=False, floor=0.1)  # busy, not stalled


def test_a_master_is_stalled_only_when_it_missed_a_whole_advert(tmp_path: Path) -> None:
    spec = daemon_from(instance_text(extra="version 3\n    advert_int 0.1"), tmp_path)
    inst = VrrpInstance(spec.instances[0].params)
    assert stall_floor(inst, 10) == LATE_TIMER  # INIT, BACKUP, FAULT: 10 ms
    inst.handle(Startup(), now=0.0)
    for _ in range(10):
        deadline = inst.next_deadline()
        assert deadline is not None
        inst.handle(Timeout(), now=deadline)
        if inst.state is State.MASTER:
            break
    assert inst.state is State.MASTER
    assert stall_floor(inst, 10) == 0.1
    assert stall_floor(inst, 1) == LATE_TIMER  # advert_int 0.01: never below 10 ms


def test_a_busy_master_sends_its_late_advert_without_waiting_longer(tmp_path: Path) -> None:
    """Its loop ran 30 ms late (a busy neighbour, not a stop): the advert goes at the next
    turn of the loop, not LATE_TIMER after it (issue 15: 0.01 s adverts under load)."""
    harness = Harness()

    async def scenario() -> int:
        text = instance_text(priority=255, extra="version 3\n    advert_int 0.1")
        runtime = await harness.runtime(daemon_from(text, tmp_path))
        inst = runtime.nodes["VI_T"].instance
        assert inst.state is State.MASTER
        await runtime.settle()
        deadline = inst.next_deadline()
        assert deadline is not None
        sent = inst.stats.advert_sent
        loop = asyncio.get_running_loop()
        time.sleep(max(0.0, deadline - loop.time()) + 0.03)  # noqa: ASYNC251 - a busy loop
        await asyncio.sleep(0)  # one turn of the loop
        await asyncio.sleep(0)
        sent = inst.stats.advert_sent - sent
        await runtime.stop()
        return sent

    assert asyncio.run(scenario()) == 1


def test_a_stalled_master_reads_what_it_heard_before_its_stale_advert(tmp_path: Path) -> None:
    """Stopped while MASTER; a peer with the same priority and a higher address took
    over meanwhile. At SIGCONT the advert timer is seen late: it is put back, the
    adverts it missed are not made up for, and the peer's adverts, read first, make
    this router step down without a stale advert (keepalived sends none either)."""
    harness = Harness()
    advert = Advertisement(version=3, vrid=171, priority=100, interval_cs=5,
                           addresses=(IPv4Address("192.0.2.171"),))
    payload = encode(advert, source=PEER, destination=GROUP)  # .12, above our .11

    async def scenario() -> tuple[State, int]:
        text = instance_text(extra="version 3\n    advert_int 0.05")
        runtime = await harness.runtime(daemon_from(text, tmp_path))
        inst = runtime.nodes["VI_T"].instance
        for _ in range(100):  # our down timer (about 0.2 s) makes us MASTER
            if inst.state is State.MASTER:
                break
            await asyncio.sleep(0.01)
        assert inst.state is State.MASTER
        deliver = harness.sockets[0].callback
        assert deliver is not None
        time.sleep(0.5)  # noqa: ASYNC251 - the daemon is stopped: the loop does not run
        sent = inst.stats.advert_sent
        await asyncio.sleep(0.001)  # SIGCONT: the overdue timer runs before any datagram
        for n in range(1, 4):  # then the peer's adverts, queued meanwhile
            deliver(Datagram(payload=payload, source=PEER, destination=GROUP, ttl=255,
                             ifindex=2, protocol=112,
                             received_ns=time.time_ns() - int((0.2 - n * 0.05) * 1e9)))
        state, sent = inst.state, inst.stats.advert_sent - sent
        await runtime.stop()
        return state, sent

    assert asyncio.run(scenario()) == (State.BACKUP, 0)
