"""The contrast: real keepalived 2.2.7 as master, a reload with a fatal value (VRID 351).

Not our product, so its behaviour is asserted loosely and recorded: keepalived-reference
§0.2 and lab notes say the daemon terminates ("exited with permanent error CONFIG") with
no priority-0 advert, the VIP stays on the dead master and the backup takes over: the
VIP on two hosts. The record is printed (`pytest -s`) and the report quotes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from netlab.lab import wait_for
from netlab.peers import KeepalivedPeer, has_address
from netlab.reload import Client, VipWatch, reload_conf, start_echo

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.keepalived, pytest.mark.slow]

VIP = "192.0.2.134"
VRID = 134


def test_keepalived_dies_on_a_bad_value_reload(make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b", "c"), base=130, prefix="rlxka")
    good = reload_conf(vrid=VRID, priority=150, vips=[f"{VIP}/24"])
    master = KeepalivedPeer(lab, "a", good)
    backup = KeepalivedPeer(lab, "b", reload_conf(vrid=VRID, priority=100, vips=[f"{VIP}/24"]))
    for host in ("a", "b"):
        start_echo(lab, host, VIP)
    master.start()
    backup.start()
    wait_for(lambda: has_address(lab, "a", VIP) and not has_address(lab, "b", VIP), 15.0,
             what="the VIP on a only")
    client = Client(lab, "c", VIP, expect="a").start()
    watch = VipWatch(lab, VIP, master="a", backup="b").start()
    try:
        master.config_path.write_text(good.text().replace(f"virtual_router_id {VRID}",
                                                          "virtual_router_id 351"))
        assert master.process is not None
        master.process.popen.send_signal(1)
        exited = wait_for(lambda: master.process is not None
                          and master.process.popen.poll() is not None, 15.0,
                          what="keepalived to exit")
        wait_for(lambda: has_address(lab, "b", VIP), 5.0, what="the backup to take the VIP")
        left_behind = has_address(lab, "a", VIP)
    finally:
        vip = watch.finish()
        probes = client.finish()
    print(f"\nkeepalived bad-value reload: exited={exited} status="
          f"{master.process.popen.returncode}, VIP left on a={left_behind}, "
          f"backup took over, probes {probes}, VIP polls {vip}")
    print("\n".join(line for line in master.log().splitlines()
                    if "351" in line or "exit" in line.lower() or "Terminat" in line))
    assert exited
    assert "Reloading" in master.log()
    assert probes.lost > 0 or probes.other_host > 0  # the client noticed something
