"""Lease witness on a real etcd (Debian's etcd-server, in its own lab namespace).

a (192.0.2.91, priority 200) and b (.92, 100), VRRPv3 at 0.1 s, both with
`lease_witness http://192.0.2.93:2379` and a 2 s TTL; e (.93) runs etcd. Each node's
notify_master hook appends the fencing token it was given to a file.

- `partition`: a is cut from b and from etcd (nftables in the bridge namespace). a
  cannot renew: it gives the VIP up at its deadline (renewal sent + TTL - 0.5 s), before
  etcd can let the key go; b stops hearing a, wants the key, is refused ("lease held by
  192.0.2.91") until etcd expires a's lease, then takes it with a higher revision. The
  VIP is never on both (sampled `ip addr`). keepalived, same cut, for the figure: both
  hold it for the whole cut.
- `etcd-stopped`: etcd is stopped (SIGTERM, by PID) while the pair is healthy: a hears
  'connection refused', VRRP decides, nothing moves for three TTLs.
"""

from __future__ import annotations

import shutil
import time
from typing import TYPE_CHECKING

import pytest

from netlab.conf import instance_conf
from netlab.faults import first_time, vip_holders
from netlab.lab import wait_for
from netlab.partition import HolderSampler, Partition
from netlab.peers import KeepalivedPeer, PrivatePyNode
from tests.conftest import skip_or_fail
from tests.netns.faults.nodes import report
from tests.netns.split.status import instance_status

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from netlab.lab import Lab, Process

pytestmark = [pytest.mark.netns, pytest.mark.slow]

VIP = "192.0.2.99"
VRID = 99
TTL = 2
BOUND = 8.0
HOOK = """#!/bin/sh
echo "$PYKEEPALIVED_FENCING_TOKEN $PYKEEPALIVED_LEASE_KEY" >> {out}
"""


def start_etcd(lab: Lab) -> tuple[Process, str]:
    if shutil.which("etcd") is None:
        skip_or_fail("needs the Debian package etcd-server (make test installs it)")
    assert lab.workdir is not None
    host = lab.host("e")
    url = f"http://{host.ipv4}:2379"
    etcd = lab.spawn("e", ["etcd", "--name", "e", "--data-dir", str(lab.workdir / "etcd"),
                           "--listen-client-urls", url, "--advertise-client-urls", url,
                           "--listen-peer-urls", "http://127.0.0.1:2380",
                           "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
                           "--initial-cluster", "e=http://127.0.0.1:2380"], name="etcd")
    wait_for(lambda: lab.run("a", ["etcdctl", f"--endpoints={url}", "endpoint", "health"],
                             check=False).returncode == 0, 20.0, interval=0.2,
             what="etcd to serve")
    return etcd, url


def hook(lab: Lab, host: str) -> tuple[str, Path]:
    assert lab.workdir is not None
    directory = lab.workdir / f"hooks-{host}"
    directory.mkdir(mode=0o700)
    out = directory / "tokens"
    script = directory / "notify_master.sh"
    script.write_text(HOOK.format(out=out))
    script.chmod(0o700)
    return str(script), out


def tokens(path: Path) -> list[int]:
    return [int(line.split()[0]) for line in path.read_text().splitlines()
            if line.split() and line.split()[0].isdigit()] if path.exists() else []


def lease_conf(lab: Lab, priority: int, url: str | None, script: str | None):
    extra = [] if url is None else [f"lease_witness {url}", f"lease_ttl {TTL}"]
    return instance_conf(vrid=VRID, priority=priority, vip=f"{VIP}/24", extra=extra,
                         notify={"notify_master": script} if script else None,
                         script_security=script is not None)


@pytest.mark.parametrize("kind", [
    pytest.param("pykeepalived", id="pykeepalived"),
    pytest.param("keepalived", id="keepalived", marks=pytest.mark.keepalived),
])
def test_lease_partition_master_drops_before_expiry_backup_takes_after(
        make_lab: Callable[..., Lab], kind: str) -> None:
    lab = make_lab(("a", "b", "e"), base=90, prefix=f"sbl{kind[:2]}")
    etcd_url = None
    if kind == "pykeepalived":
        _etcd, etcd_url = start_etcd(lab)
        (script_a, out_a), (script_b, out_b) = hook(lab, "a"), hook(lab, "b")
        a: PrivatePyNode | KeepalivedPeer = PrivatePyNode(
            lab, "a", lease_conf(lab, 200, etcd_url, script_a))
        b: PrivatePyNode | KeepalivedPeer = PrivatePyNode(
            lab, "b", lease_conf(lab, 100, etcd_url, script_b))
    else:
        a = KeepalivedPeer(lab, "a", lease_conf(lab, 200, None, None))
        b = KeepalivedPeer(lab, "b", lease_conf(lab, 100, None, None))
    a.start()
    wait_for(lambda: vip_holders(lab, ("a", "b"), VIP) == {"a"}, BOUND, what="a master")
    b.start()
    b.wait_for_log("(VI_T) Entering BACKUP STATE", BOUND)
    if kind == "pykeepalived":
        assert isinstance(a, PrivatePyNode)
        wait_for(lambda: tokens(out_a), 5.0, what="a's notify_master with its token")
        first = tokens(out_a)[-1]
        assert instance_status(a)["lease"]["held"] == "yes"
    partition = Partition(lab)
    sampler = HolderSampler(lab, ("a", "b"), VIP).start()
    refused = ""
    try:
        time.sleep(0.3)  # a window before the cut
        cut_at = time.monotonic()
        partition.cut(("a", "b"), ("a", "e"))
        if kind == "pykeepalived":
            assert isinstance(b, PrivatePyNode)
            # b wants the key and is refused while a's lease lives
            refused = wait_for(lambda: (r := instance_status(b).get("refusal", "")).startswith(
                "lease held by") and r, 3.0, interval=0.1, what="b refused the lease")
        if kind == "keepalived":  # no lease: a keeps the VIP, b takes it as well
            taken = first_time(lambda: "b" in vip_holders(lab, ("a", "b"), VIP), BOUND,
                               "b to take the VIP")
            time.sleep(max(0.0, cut_at + TTL + 1.0 - time.monotonic()))  # the same cut
            dropped = time.monotonic()  # a never drops it: the cut's end, for the figure
        else:
            dropped = first_time(lambda: "a" not in vip_holders(lab, ("a", "b"), VIP),
                                 TTL + BOUND, "a to drop the VIP")
            taken = first_time(lambda: "b" in vip_holders(lab, ("a", "b"), VIP),
                               TTL + BOUND, "b to take the VIP")
            time.sleep(0.5)  # a window to watch
    finally:
        sampler.stop()
        partition.heal()
    figures: dict[str, object] = {
        "two_holders_ms": round(sampler.overlap() * 1000),
        "a_dropped_ms": round((dropped - cut_at) * 1000) if kind != "keepalived" else None,
        "b_took_ms": round((taken - cut_at) * 1000),
        "sampler_max_gap_ms": round(sampler.max_gap() * 1000)}
    if kind == "keepalived":
        report("lease, master cut from backup and etcd", kind, figures)
        assert sampler.overlap() > 0.5  # the reference: no lease, both hold the VIP
        return
    try:
        wait_for(lambda: tokens(out_b), 5.0, what="b's notify_master with its token")
    except TimeoutError:
        raise AssertionError((out_b.read_text() if out_b.exists() else "no file",
                              b.log()[-3000:])) from None
    second = tokens(out_b)[-1]
    figures.update(a_token=first, b_token=second, b_refusal=refused)
    report("lease, master cut from backup and etcd", kind, figures)
    assert sampler.overlap() == 0.0, figures
    # a let go before its TTL could end (cut + TTL at the latest), b took after
    assert dropped - cut_at < TTL, figures
    assert taken > dropped, figures
    assert second > first, figures
    assert refused == "lease held by 192.0.2.91", figures


def test_lease_etcd_stopped_healthy_pair_nothing_moves(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b", "e"), base=90, prefix="sblstop")
    etcd, url = start_etcd(lab)
    a = PrivatePyNode(lab, "a", lease_conf(lab, 200, url, None))
    b = PrivatePyNode(lab, "b", lease_conf(lab, 100, url, None))
    a.start()
    wait_for(lambda: vip_holders(lab, ("a", "b"), VIP) == {"a"}, BOUND, what="a master")
    b.start()
    b.wait_for_log("(VI_T) Entering BACKUP STATE", BOUND)
    wait_for(lambda: instance_status(a)["lease"]["held"] == "yes", 5.0, what="a's lease")
    sampler = HolderSampler(lab, ("a", "b"), VIP).start()
    try:
        stopped_at = time.monotonic()
        etcd.stop()
        time.sleep(3 * TTL)  # three TTLs without etcd: a window to watch
    finally:
        sampler.stop()
    status = instance_status(a)
    figures = {"seconds_without_etcd": round(time.monotonic() - stopped_at, 1),
               "holders": sorted("+".join(sorted(h)) or "-"
                                 for h in sampler.holders_after(stopped_at)),
               "a_lease_error": status["lease"]["error"][:60]}
    report("lease, etcd stopped, healthy pair", "pykeepalived", figures)
    assert sampler.holders_after(stopped_at) == {frozenset({"a"})}, figures
    assert status["state"] == "MASTER"
    assert "etcd not serving" in status["lease"]["error"], status
