"""The two-node lab the operations tests share (control socket, --watch, metrics).

Lab base 240: a (192.0.2.241, priority 150, tracks a script that tests a file) and b
(.242, priority 100); VRRPv3 at 0.1 s adverts, VRID 240, VIP 192.0.2.249. Each node
writes its dumps into its own directory (`--dump-dir`), so a test can compare the control
socket's answer with the dump files of the same daemon.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netlab.conf import Block, Config, GlobalDefs, Instance, Script
from netlab.peers import PyNode

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

    from netlab.lab import Lab

VIP = "192.0.2.249"
VRID = 240
TAKEOVER = 5.0


def config(priority: int, flag: Path | None, *, extra: tuple[str, ...] = (),
           advert: str = "0.1") -> Config:
    scripts = [] if flag is None else [
        Script("chk_flag", f"/usr/bin/test -e {flag}", interval=1, fall=1, rise=1, weight=0)]
    return Config(
        [Instance("VI_OPS", VRID, priority, [f"{VIP}/24"], advert=advert,
                  track_scripts=["chk_flag"] if flag is not None else ())],
        GlobalDefs(vrrp_version=3, garp_master_delay=1, extra=list(extra)),
        scripts=scripts)


@dataclass
class OpsNode:
    node: PyNode
    flag: Path | None

    @property
    def directory(self) -> Path:
        return self.node.directory

    @property
    def socket(self) -> Path:
        return self.node.directory / "pykeepalived.sock"

    def status(self, *extra: str, check_rc: tuple[int, ...] = (0,),
               ) -> subprocess.CompletedProcess[str]:
        done = self.node.lab.run(self.node.host, [
            sys.executable, "-m", "pykeepalived", "status", "--pid",
            str(self.directory / "keepalived.pid"), "--dir", str(self.directory), *extra],
            check=False)
        assert done.returncode in check_rc, (done.returncode, done.stdout, done.stderr)
        return done

    def status_json(self, *extra: str, check_rc: tuple[int, ...] = (0,)) -> dict[str, object]:
        doc = json.loads(self.status("--json", *extra, check_rc=check_rc).stdout)
        assert isinstance(doc, dict)
        return doc


def start_node(lab: Lab, host: str, priority: int, *, tracked: bool,
               daemon_args: tuple[str, ...] = (), extra: tuple[str, ...] = (),
               advert: str = "0.1") -> OpsNode:
    assert lab.workdir is not None
    flag = lab.workdir / f"{host}-flag" if tracked else None
    if flag is not None:
        flag.touch()
    node = PyNode(lab, host, config(priority, flag, extra=extra, advert=advert), name="ops")
    node.process = lab.spawn(host, [*node.argv(), "--dump-dir", str(node.directory),
                                    *daemon_args], name="pykeepalived")
    return OpsNode(node, flag)


UP, DOWN = 18080, 18081


def check_config() -> Config:
    """A director: one instance and a virtual server with two TCP-checked real servers
    on 192.0.2.12 (the lab's second host), ports UP and DOWN."""
    servers = [Block(f"real_server 192.0.2.12 {port}",
                     ["weight 1", Block("TCP_CHECK", ["connect_timeout 1"])])
               for port in (UP, DOWN)]
    virtual = Block("virtual_server 192.0.2.100 80",
                    ["delay_loop 1", "lb_algo rr", "lb_kind NAT", "protocol TCP", *servers])
    return Config(global_defs=GlobalDefs(router_id="ops"),
                  instances=[Instance("VI_T", 51, 150, ["192.0.2.100/24"], advert="1")],
                  blocks=[virtual])
