"""`make demo`: the seed article's HAProxy hot-standby pair, live, in network namespaces.

Two nodes each run HAProxy in front of a backend that answers its node name, and
pykeepalived with a vrrp_script checking HAProxy (interval 1, fall 2, rise 1, weight -60,
priorities 150 and 100). A client asks the VIP every 20 ms. The demo kills node1's
HAProxy, shows the VIP move to node2 and the outage the client saw, restarts HAProxy,
shows the VIP come back (preempt), prints a summary and removes everything it made.

Run from the checkout root as `sudo .venv/bin/python -m demo.haproxy_pair` (`make demo`).
Needs root (namespaces, raw sockets). Everything it creates is named `demo-*` and lives
only in 192.0.2.0/24; Ctrl-C tears down cleanly.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from typing import TYPE_CHECKING

from demo.timeline import Timeline
from netlab.haproxy import HAPROXY, Site, SiteSpec, Tracking, outage
from netlab.lab import Lab

if TYPE_CHECKING:
    from types import FrameType

SPEC = SiteSpec(vrid=239, vip="192.0.2.239", priorities=(150, 100), version=2, advert="1",
                tracking=Tracking(weight=-60, interval=1, fall=2, rise=1))
STEADY = 3.0
BOUND = 20.0  # any single step; the whole demo stays well under a minute


def preflight() -> str | None:
    if os.geteuid() != 0:
        return "the demo builds network namespaces: run it as root (sudo make demo)"
    for tool in ("ip", "ss", "pgrep"):
        if shutil.which(tool) is None:
            return f"missing `{tool}`: run `make demo`, which installs the Debian packages"
    if not HAPROXY.exists():
        return f"missing {HAPROXY}: run `make demo`, which installs the haproxy package"
    return None


def served_by(site: Site, name: str, since: float) -> bool:
    return any(r.server == name and r.at >= since for r in site.replies())


def explain(out: Timeline) -> None:
    vip = SPEC.vip
    out.out("HAProxy hot standby with pykeepalived (the seed article's set-up)")
    out.out(f"  node1 priority 150, node2 priority 100, VIP {vip}, VRRPv2 advert_int 1 s")
    out.out("  vrrp_script: pgrep -x haproxy_nodeN  interval 1  fall 2  rise 1  weight -60")
    out.out("  (each node runs HAProxy as haproxy_nodeN: the namespaces share one process")
    out.out("   table, so a plain `pgrep -x haproxy` would see the other node's HAProxy)")
    out.out("  rule: a failed check gives node1 150-60 = 90 < 100, so node2 takes over\n")


def scenario(lab: Lab) -> int:
    site = Site(lab, SPEC, comm_prefix="haproxy")
    tl = Timeline(site)
    explain(tl)
    site.start()
    tl.say("backends and HAProxy up on node1 and node2; starting pykeepalived on both")
    site.start_client(55.0)
    tl.run_until(lambda: site.holder() == "node1" and served_by(site, "node1", 0.0), BOUND,
                 "node1 to become master and serve")
    tl.idle(STEADY)

    node1 = site.node("node1")
    assert node1.haproxy.process is not None
    tl.say(f">>> killing HAProxy on node1 (PID {node1.haproxy.process.pid}, SIGKILL)")
    node1.haproxy.kill()
    killed = time.monotonic()
    tl.run_until(lambda: served_by(site, "node2", killed), BOUND, "node2 to serve")
    failover = outage(site.replies(), killed, "node1", "node2")
    tl.say(f">>> node2 serves the VIP: the client saw {failover * 1000:.0f} ms of outage")
    tl.idle(STEADY)

    tl.say(">>> restarting HAProxy on node1")
    node1.haproxy.start()
    back = time.monotonic()
    tl.run_until(lambda: site.holder() == "node1" and served_by(site, "node1", back), BOUND,
                 "node1 to take the VIP back")
    fallback = outage(site.replies(), back, "node2", "node1")
    tl.say(f">>> node1 preempted and serves again ({fallback * 1000:.0f} ms without answer)")
    tl.idle(2.0)
    summary(tl, failover, fallback)
    return 0


def summary(tl: Timeline, failover: float, fallback: float) -> None:
    replies = tl.site.replies()
    failed = sum(1 for r in replies if r.server is None)
    tl.out("\nSummary")
    tl.out(f"  client requests: {len(replies)}, failed: {failed}")
    tl.out(f"  outage when node1's HAProxy died: {failover * 1000:.0f} ms "
           "(fall 2 x interval 1 s, then node2's Master_Down_Interval 3.6 s at most)")
    tl.out(f"  gap when node1 took the VIP back (preempt): {fallback * 1000:.0f} ms")
    tl.out("  transitions:")
    for t in tl.transitions:
        tl.out(f"    t={tl.rel(t.at):5.1f}s  {t.node} -> {t.state:<7} because: {t.reason}")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    problem = preflight()
    if problem is not None:
        print(f"demo: {problem}", file=sys.stderr)
        return 2
    for signum in (signal.SIGINT, signal.SIGTERM):  # also when started with SIGINT ignored
        signal.signal(signum, _interrupt)
    try:
        with Lab(["node1", "node2", "client"], prefix="demo", base=225) as lab:
            status = scenario(lab)
            print("\ntearing down: stopping processes by PID, deleting namespaces")
        return status
    except KeyboardInterrupt:
        print("\ninterrupted: everything the demo started has been stopped and removed",
              file=sys.stderr)
        return 130
    except TimeoutError as exc:
        print(f"\ndemo failed: {exc} (everything has been torn down)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
