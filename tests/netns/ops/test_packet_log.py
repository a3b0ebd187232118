"""A neighbour with the wrong password: keepalived 2.2.7 logs every
refused advert; pykeepalived logs the first, naming the sender, then holds the repeats
back (daemon/packet_log.py). Both hear the same sender in one lab."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from netlab.conf import Auth, Config, GlobalDefs, Instance
from netlab.lab import wait_for
from netlab.peers import KeepalivedPeer, PyNode

if TYPE_CHECKING:
    from collections.abc import Callable

    from netlab.lab import Lab

pytestmark = [pytest.mark.netns, pytest.mark.slow, pytest.mark.keepalived]

LINE = "(VI_PW) received an invalid passwd!"
SENDER = "192.0.2.243"  # host c, base 240
#: ours (with -D): the codec refuses a PASS advert with the wrong password
OURS = f"(VI_PW) dropped packet from {SENDER}: invalid password"
MISMATCH = "(VI_PW) advertisement interval mismatch mine=1 sec rcv'd=2 sec"


def conf(priority: int, password: str, advert: str = "1") -> Config:
    return Config([Instance("VI_PW", 241, priority, ["192.0.2.248/24"], advert=advert,
                            version=2, auth=Auth("PASS", password))],
                  GlobalDefs(vrrp_version=2))


def test_a_wrong_password_flood_is_one_named_line_here_and_every_packet_there(
        make_lab: Callable[..., Lab]) -> None:
    lab = make_lab(("a", "b", "c"), base=240)
    ours = PyNode(lab, "a", conf(100, "secret")).start()
    theirs = KeepalivedPeer(lab, "b", conf(90, "secret")).start()
    ours.wait_for_log("Startup complete")
    theirs.wait_for_log("Entering BACKUP STATE")
    stranger = PyNode(lab, "c", conf(200, "wrong"), name="stranger").start()
    # keepalived logs one line per refused advert: wait for 5 (5 s of adverts)
    wait_for(lambda: theirs.log().count(LINE) >= 5 or None, 15.0,
             what=f"keepalived to log 5 refusals; it logged:\n{theirs.log()[-2000:]}")
    stranger.stop()
    mine = [line for line in ours.log().splitlines() if "invalid password" in line]
    print(f"\nkeepalived 2.2.7: {theirs.log().count(LINE)} lines; pykeepalived: {mine}")
    assert len(mine) == 1, ours.log()[-3000:]
    assert mine[0].endswith(OURS)

    # a receive check's line (keepalived's words): named once, then held back too
    other = PyNode(lab, "c", conf(200, "secret", advert="2"), name="other").start()
    wait_for(lambda: theirs.log().count(MISMATCH) >= 3 or None, 15.0,
             what=f"keepalived to log 3 interval mismatches:\n{theirs.log()[-2000:]}")
    other.stop()
    mine = [line for line in ours.log().splitlines() if MISMATCH in line]
    print(f"keepalived 2.2.7: {theirs.log().count(MISMATCH)} lines; pykeepalived: {mine}")
    assert len(mine) == 1, ours.log()[-3000:]
    assert mine[0].endswith(f"{MISMATCH} (from {SENDER})")
    assert ours.stop() == 0
    theirs.stop()
