"""The checker child for real, on a host kernel without IPVS: checks, logs, signals, life.

A director `d` runs pykeepalived with one vrrp_instance and one virtual_server whose two
real servers are HTTP servers on host `r`. The kernel has no IPVS, which the daemon says
once and then checks anyway; everything else an operator sees is keepalived's: the
child's start line and pid file, the checker lines as servers die and come back, a
reload's weight change, a respawn after a crash, and a clean stop of both processes.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import TYPE_CHECKING

import pytest

from netlab.conf import Block, Config, GlobalDefs, Instance
from netlab.lab import wait_for
from netlab.peers import PyNode

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab, Process

pytestmark = pytest.mark.netns

PORTS = (18080, 18081)


def config(weight: int = 1) -> Config:
    servers = [Block(f"real_server 192.0.2.12 {port}",
                     [f"weight {weight if port == PORTS[0] else 1}",
                      Block("TCP_CHECK", ["connect_timeout 1"])]) for port in PORTS]
    virtual = Block("virtual_server 192.0.2.100 80",
                    ["delay_loop 1", "lb_algo rr", "lb_kind NAT", "protocol TCP", *servers])
    return Config(global_defs=GlobalDefs(router_id="chk"),
                  instances=[Instance("VI_T", 51, 150, ["192.0.2.100/24"], advert="1")],
                  blocks=[virtual])


def serve(lab: Lab, port: int) -> Process:
    process = lab.spawn("r", [sys.executable, "-m", "http.server", str(port), "--bind",
                              "192.0.2.12"], name=f"http{port}")
    wait_for(lambda: lab.run("r", ["ss", "-ltn"], check=False).stdout.count(f":{port} "),
             10.0, what=f"http server on {port}")
    return process


def child_pid(node: PyNode) -> int:
    path = node.directory / "checkers.pid"
    text = wait_for(lambda: path.read_text().strip() if path.exists() else None, 30.0,
                    what="the checkers pid file")
    return int(text)


def test_the_checker_child_checks_reloads_respawns_and_stops(make_lab: Callable[..., Lab],
                                                               ) -> None:
    lab = make_lab(("d", "r"))
    servers = {port: serve(lab, port) for port in PORTS}
    node = PyNode(lab, "d", config()).start()
    started = node.wait_for_log("Starting Healthcheck child process, pid=", 30.0)
    pid = child_pid(node)
    assert f"Starting Healthcheck child process, pid={pid}" in started
    node.wait_for_log("TCP connection to [192.0.2.12]:tcp:18081 success.", 30.0)
    assert node.log().count("IPVS: Can't initialize ipvs") == 1  # said once, then checks

    servers[PORTS[1]].stop()
    node.wait_for_log("TCP_CHECK on service [192.0.2.12]:tcp:18081 failed after 1 retries.",
                      15.0)
    node.wait_for_log("Removing service [192.0.2.12]:tcp:18081 from VS [192.0.2.100]:tcp:80",
                      5.0)
    servers[PORTS[1]] = serve(lab, PORTS[1])
    node.wait_for_log("Adding service [192.0.2.12]:tcp:18081 to VS [192.0.2.100]:tcp:80",
                      15.0)

    node.config_path.write_text(config(weight=3).text())
    node.send_signal(signal.SIGHUP)
    node.wait_for_log("Changing weight from 1 to 3 for active service [192.0.2.12]:tcp:18080"
                      " of VS [192.0.2.100]:tcp:80", 30.0)
    assert child_pid(node) == pid  # a reload keeps the child

    os.kill(pid, signal.SIGKILL)
    node.wait_for_log(f"Healthcheck child process({pid}) died: Respawning", 15.0)
    respawned = wait_for(lambda: (p := child_pid(node)) != pid and p, 30.0,
                         what="a new checker pid")
    node.wait_for_log(f"Starting Healthcheck child process, pid={respawned}", 15.0)

    assert node.stop() == 0
    assert not (node.directory / "checkers.pid").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(respawned, 0)
    log = node.log()
    assert "Shutting down service [192.0.2.12]:tcp:18080 from VS [192.0.2.100]:tcp:80" in log
    assert log.rstrip().endswith("Stopped Keepalived v2.2.7 (pykeepalived 0.1.0)")
