"""The normaliser keeps operator lines, drops the rest, and makes runs comparable."""

from __future__ import annotations

from tests.netns.logs.normalise import KnownGap, operator_lines, side_by_side, without_gaps

KEEPALIVED_LOG = """\
Wed Nov 25 13:21:52 2026: Starting Keepalived v2.2.7 (01/16,2022)
Wed Nov 25 13:21:52 2026: Starting VRRP child process, pid=32598
Wed Nov 25 13:21:52 2026: (VI_L) removing VIPs.
Wed Nov 25 13:21:52 2026: Startup complete
Wed Nov 25 13:21:52 2026: (VI_L) Entering BACKUP STATE (init)
Wed Nov 25 13:21:52 2026: VRRP sockpool: [ifindex(  2), family(IPv4), proto(112)]
Wed Nov 25 13:22:00 2026: (VI_L) received lower priority (100) advert from 192.0.2.12 - discarding
Wed Nov 25 13:22:00 2026: (VI_L) received lower priority (100) advert from 192.0.2.12 - discarding
Wed Nov 25 13:22:00 2026: (VI_L) Receive advertisement timeout
Wed Nov 25 13:22:00 2026: Sending gratuitous ARP on eth0 for 192.0.2.120
Wed Nov 25 13:22:00 2026: Sending gratuitous ARP on eth0 for 192.0.2.120
Wed Nov 25 13:22:13 2026: Stopped - used (self/children) 0.000000/0.018027 user time
Wed Nov 25 13:22:13 2026: CPU usage (self/children) user: 0.003611/0.018027
Wed Nov 25 13:22:13 2026: Stopped Keepalived v2.2.7 (01/16,2022)
"""


def test_operator_lines_are_kept_normalised_and_discard_runs_collapsed() -> None:
    assert operator_lines(KEEPALIVED_LOG, {"192.0.2.12": "b"}) == [
        "(VI_L) removing VIPs.",
        "(VI_L) Entering BACKUP STATE (init)",
        "(VI_L) received lower priority (100) advert from <b> - discarding",
        "(VI_L) Receive advertisement timeout",
        "Sending gratuitous ARP on eth0 for 192.0.2.120",
        "Sending gratuitous ARP on eth0 for 192.0.2.120",
        "Stopped - used <rusage>",
        "Stopped Keepalived <version>",
    ]


def test_an_address_is_only_replaced_whole() -> None:
    log = "Mon Jan  1 00:00:00 2024: (VI_1) Master received advert from 192.0.2.123 " \
          "with higher priority 100, ours 90\n"
    assert operator_lines(log, {"192.0.2.12": "b"}) == [
        "(VI_1) Master received advert from 192.0.2.123 with higher priority 100, ours 90"]


def test_without_gaps_removes_every_occurrence_and_nothing_else() -> None:
    lines = ["Reloading ...", "Reloading", "Reload complete", "Reloading"]
    assert without_gaps(lines, [KnownGap("Reloading", "why")]) == [
        "Reloading ...", "Reload complete"]


def test_side_by_side_marks_only_the_rows_that_differ() -> None:
    table = side_by_side(["x", "gone", "y"], ["x", "y"]).splitlines()
    assert [row[:2] for row in table[1:]] == ["  ", "≠ ", "  "]
    assert "gone" in table[2]


def test_a_gap_with_an_anchor_removes_only_the_lines_before_it() -> None:
    lines = ["removing", "init", "removing"]
    assert without_gaps(lines, [KnownGap("removing", "why", before="init")]) == [
        "init", "removing"]
