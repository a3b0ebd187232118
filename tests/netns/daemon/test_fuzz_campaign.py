"""Fuzzed VRRP packets and a foreign-VRID flood against a running pykeepalived (issue 15).

A small run of the campaign `python -m bench.fuzz` runs at 10^6 packets
(netlab.fuzz_campaign: namespaces `fzz-*`, 192.0.2.187-189, VRIDs 187-199): 20,000
packets from netlab.fuzz_packets (random octets, mutated v2/v3 adverts over IPv4 and
IPv6, half resummed, none a daemon should act on) at 4,000 a second, then 5 s of flood
(well-formed adverts for VRIDs nobody runs), 1 s on and 1 s off, under a capture: the
off periods are the quiet baseline.

Asserted: the daemon alive without a traceback, no transition, every instance in its
state with its VIPs (three MASTERs, one BACKUP behind the sender's master), every
datagram each socket read accounted for by the node or its core's tally, drops of many
reasons really counted (so a campaign that reached nothing fails), the kernel's IPv6
checksum drops where the generator says they belong, and the masters' advert intervals
under the flood within 2 ms of the quiet periods' (median and p90: see the end).
"""

from __future__ import annotations

import pytest

from netlab.fuzz_campaign import (
    HOSTS,
    LAB_BASE,
    PREFIX,
    Settings,
    build_streams,
    run_implementation,
)
from netlab.fuzz_figures import FLOOD_TARGET_MS, dropped_by_reason, flood_delta
from netlab.lab import Lab

pytestmark = [pytest.mark.netns]

PACKETS = 20_000
SETTINGS = Settings(rate=4000.0, flood_rate=2000.0, flood_seconds=5.0)
#: a sample of the reasons 20,000 packets always reach (seeded: the stream is fixed)
REASONS = {"checksum", "length", "address_count", "version", "type", "no_addresses",
           "ttl", "version_mismatch", "address_count_mismatch", "address_missing",
           "cast_mismatch"}


def test_fuzz_and_flood_leave_every_instance_as_it_was() -> None:
    with Lab(HOSTS, prefix=PREFIX, base=LAB_BASE) as lab:
        assert lab.workdir is not None
        streams = build_streams(lab, lab.workdir, seed=15, packets=PACKETS,
                                flood_packets=int(SETTINGS.flood_rate * SETTINGS.flood_seconds))
        result = run_implementation(lab, "pykeepalived", streams, SETTINGS)

    assert result.problems == []
    assert result.exit_status == 0
    fuzz, flood = result.fuzz, result.flood
    assert fuzz.sent == PACKETS
    assert flood.sent == streams.flood_count
    # each IPv4 packet is read by the three IPv4 instances' sockets, IPv6 by one
    reads = {name: s.get("rx_datagrams", 0) for name, s in fuzz.sockets.items()}
    assert reads["VI_F3"] >= streams.sent["v4"] - fuzz.kernel_drops.get(4, 0)
    assert reads["VI_F6"] + fuzz.sockets["VI_F6"].get("rx_kernel_drops", 0) == streams.sent["v6"]
    assert fuzz.sockets["VI_F6"].get("rx_kernel_drops", 0) >= streams.sent["v6_bad_checksum"] > 0
    reasons = dropped_by_reason(fuzz.sockets)
    assert {r for r, n in reasons.items() if n > 0} >= REASONS, reasons
    assert sum(s.get("rx_accepted", 0) for s in fuzz.sockets.values()) > fuzz.master_adverts
    unknown = flood.daemon_counters.get("unknown_vrid", 0)
    assert unknown >= streams.flood_count - flood.kernel_drops.get(4, 0)

    assert len(result.flood_deviations_ms) >= 30  # VI_F3's 0.1 s adverts for 5 s, and VI_F2
    assert len(result.baseline_deviations_ms) >= 20
    assert result.capture_drops == 0
    # With ~50 intervals per window a p99 is the single worst one, which on a shared
    # 2-core machine is the scheduler's (stalls of 100-300 ms seen in quiet and loud
    # periods alike); bench.fuzz reports the p99 over 30 s. A flood that delayed adverts
    # systematically moves the median and the p90, and those must stay within the target.
    for q in (0.5, 0.9):
        delta = flood_delta(result, q)
        assert delta is not None
        assert delta <= FLOOD_TARGET_MS, (q, delta, sorted(result.flood_deviations_ms)[-5:])
