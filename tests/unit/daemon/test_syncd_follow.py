"""lvs_sync_daemon tied to an instance: the VRRP runtime moves the IPVS sync roles.

Through the real loader, build and runtime over fake ports: the commands the runtime
sends follow keepalived's rules (check/syncd.py) for start, takeover, stop and reload.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pykeepalived.specs.reload import plan_reload
from pykeepalived.vrrp.events import Timeout
from pykeepalived.vrrp.params import State
from tests.unit.daemon.rt_fakes import Harness
from tests.unit.daemon.rt_specs import daemon_from, instance_text

if TYPE_CHECKING:
    from pathlib import Path

    from pykeepalived.check.syncd import SyncCommand


class RecordingIpvs:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed = False

    async def apply_sync(self, commands: list[SyncCommand]) -> list[Any]:
        self.sent += [f"{c.verb} {c.state} id={c.sync.sync_id}" for c in commands]
        return []

    async def close(self) -> None:
        self.closed = True


def config(sync: str) -> str:
    return f"global_defs {{\n    lvs_sync_daemon eth0 VI_T {sync}\n}}\n" + instance_text()


def test_roles_follow_the_instance_from_start_to_stop(tmp_path: Path) -> None:
    harness, ipvs = Harness(), RecordingIpvs()

    async def open_ipvs() -> Any:
        return ipvs

    async def scenario() -> None:
        ports = harness.ports
        harness.ports = lambda: _with_ipvs(ports(), open_ipvs)  # type: ignore[method-assign]
        runtime = await harness.runtime(daemon_from(config(""), tmp_path))
        node = runtime.nodes["VI_T"]
        deadline = node.instance.next_deadline()
        assert deadline is not None
        runtime.after_core(node, node.instance.handle(Timeout(), now=deadline))
        await runtime.settle()
        assert node.instance.state is State.MASTER
        await runtime.stop()

    asyncio.run(scenario())
    # the default sync id is the instance's VRID (171)
    assert ipvs.sent == ["start backup id=171", "stop backup id=171", "start master id=171",
                         "stop master id=171"]
    assert ipvs.closed


def test_reload_with_a_new_sync_id_restarts_the_role_it_holds(tmp_path: Path) -> None:
    harness, ipvs = Harness(), RecordingIpvs()

    async def open_ipvs() -> Any:
        return ipvs

    async def scenario() -> None:
        ports = harness.ports
        harness.ports = lambda: _with_ipvs(ports(), open_ipvs)  # type: ignore[method-assign]
        old = daemon_from(config(""), tmp_path)
        runtime = await harness.runtime(old)
        new = daemon_from(config("id 7"), tmp_path, "new.conf")
        ipvs.sent.clear()
        await runtime.apply_reload(new, plan_reload({s.name: s for s in old.instances},
                                                    new.instances))
        await runtime.stop()

    asyncio.run(scenario())
    assert ipvs.sent == ["stop backup id=171", "start backup id=7", "stop master id=171",
                         "stop backup id=7"]


def _with_ipvs(ports: Any, open_ipvs: Any) -> Any:
    ports.open_ipvs = open_ipvs
    return ports
