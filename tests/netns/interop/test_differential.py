"""The same hostile packet, heard by keepalived 2.2.7 and by pykeepalived: same counter.

Both run VRRPv3 VRID 213 on one LAN (pykeepalived master, keepalived backup), so every
multicast packet from the attacker reaches both. keepalived is the oracle: after each
case (closed by a TTL-64 marker both count), the change of every keepalived.json counter
but ordinary traffic must be the same on both daemons. Packets wrong in two ways at once
show whether the checks run in keepalived's order, which is what decides the counter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from netlab.frames import send_frames
from netlab.lab import Lab, wait_for
from netlab.peers import PrivateKeepalived, PrivatePyNode, read_dump, wait_address
from tests.netns.interop.cluster import LAB_BASE, PREFIX, TAKEOVER, V3_MULTICAST, variant_conf
from tests.netns.interop.craft import Attacker

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

pytestmark = [pytest.mark.netns, pytest.mark.keepalived, pytest.mark.slow]

VRID = 213
VIPS = ("192.0.2.213",)
TRAFFIC = ("advert_rcvd", "advert_sent")

@dataclass
class Pair:
    lab: Lab
    ours: PrivatePyNode
    theirs: PrivateKeepalived
    attacker: Attacker


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with Lab(("p", "k", "x"), prefix=PREFIX, base=LAB_BASE) as lab:
        p, k = lab.host("p"), lab.host("k")
        ours = PrivatePyNode(lab, "p", variant_conf(V3_MULTICAST, vrid=VRID, priority=150,
                                                    me=p, peers=[k]), name="diff")
        theirs = PrivateKeepalived(lab, "k", variant_conf(V3_MULTICAST, vrid=VRID,
                                                          priority=100, me=k, peers=[p]),
                                   name="diff")
        ours.start()
        theirs.start()
        wait_address(lab, "p", VIPS[0], timeout=TAKEOVER)
        wait_address(lab, "k", VIPS[0], present=False, timeout=TAKEOVER)
        theirs.wait_for_log("(VI_T) Entering BACKUP STATE", TAKEOVER)
        yield Pair(lab, ours, theirs, Attacker(lab.host("x")))


def stats(node: PrivatePyNode | PrivateKeepalived) -> dict[str, int]:
    """keepalived.json's counters for the one instance."""
    dump = json.loads(read_dump(node.directory, "keepalived.json", node.daemon_pid()))
    counts: dict[str, int] = dump[0]["stats"]
    return counts


def both(pair: Pair) -> dict[str, dict[str, int]]:
    return {"pykeepalived": stats(pair.ours), "keepalived": stats(pair.theirs)}


def moved(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]
          ) -> dict[str, dict[str, int]]:
    return {who: {k: v - before[who][k] for k, v in counts.items()
                  if v != before[who][k] and k not in TRAFFIC}
            for who, counts in after.items()}


def inject(pair: Pair, frames: list[bytes]) -> dict[str, dict[str, int]]:
    """Send, close with the marker, and return each daemon's counter changes."""
    before = both(pair)
    marker = pair.attacker.wrong_ttl(VRID, VIPS)
    send_frames(pair.lab, "x", [*frames, marker])
    expected_ttl = 1 + frames.count(marker)

    def counted() -> dict[str, dict[str, int]] | None:
        now = both(pair)
        done = all(now[w]["ip_ttl_err"] - before[w]["ip_ttl_err"] >= expected_ttl
                   for w in now)
        return now if done else None

    after = wait_for(counted, 10.0, interval=0.1, what="both daemons to count the marker")
    for process in (pair.ours.process, pair.theirs.process):
        assert process is not None
        assert process.popen.poll() is None
    return moved(before, after)


#: case -> frames, each with a single flaw
CASES: dict[str, Callable[[Attacker], list[bytes]]] = {
    "wrong-ttl": lambda k: [k.wrong_ttl(VRID, VIPS)],
    "bad-checksum": lambda k: [k.bad_checksum(VRID, VIPS)],
    "ah-on-v3": lambda k: [k.ah_on_v3(VRID, VIPS)],
    "pass-on-v3": lambda k: [k.pass_on_v3(VRID, VIPS)],
    "truncated": lambda k: [k.truncated(VRID, VIPS)],
    "count-beyond-length": lambda k: [k.count_beyond_length(VRID, VIPS)],
    "address-count-mismatch": lambda k: [k.frame(k.message(VRID, (*VIPS, "192.0.2.219")))],
    "v2-advert-to-v3": lambda k: [k.frame(k.message(VRID, VIPS, version=2))],
    "type-2": lambda k: [k.patched(VRID, VIPS, 0, 0x32)],
    "unknown-vrid": lambda k: [k.frame(k.message(219, VIPS))],
    "zero-length-payload": lambda k: [k.zero_length()],
}
DOUBLE_FLAWS: dict[str, Callable[[Attacker], list[bytes]]] = {
    "too-long+bad-checksum": lambda k: [k.frame(k.message(VRID, VIPS) + b"\0\0\0\0")],
    "too-long+version-7": lambda k: [k.frame(
        bytes([0x71]) + k.resum(k.message(VRID, VIPS) + b"\0\0\0\0")[1:])],
}


@pytest.mark.parametrize("case", list(CASES))
def test_same_packet_same_keepalived_counter(pair: Pair, case: str) -> None:
    changes = inject(pair, CASES[case](pair.attacker))
    assert changes["pykeepalived"] == changes["keepalived"]


@pytest.mark.parametrize("case", list(DOUBLE_FLAWS))
def test_double_flaw_counted_as_keepalived_counts_it(pair: Pair, case: str) -> None:
    changes = inject(pair, DOUBLE_FLAWS[case](pair.attacker))
    assert changes["pykeepalived"] == changes["keepalived"]


def test_garbage_lands_in_the_same_keepalived_counters(pair: Pair) -> None:
    frames = pair.attacker.garbage(100, (VRID,), seed=218)
    changes = inject(pair, frames)
    assert changes["pykeepalived"] == changes["keepalived"]
