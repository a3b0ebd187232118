"""netlab.network_faults.masters_overlap: the two-masters time the network-fault tests
report, from adverts alone (each counts 1.5 intervals)."""

from __future__ import annotations

from netlab.advert_log import Advert
from netlab.network_faults import masters_overlap

A, B = "192.0.2.51", "192.0.2.52"
MS = 1_000_000


def adverts(source: str, start_ms: int, count: int, step_ms: int = 100, vrid: int = 9,
            priority: int = 100) -> list[Advert]:
    return [Advert(ns=(start_ms + i * step_ms) * MS, source=source, vrid=vrid,
                   priority=priority) for i in range(count)]


def test_one_master_at_a_time_never_overlaps() -> None:
    heard = adverts(A, 0, 10) + adverts(B, 1200, 10)
    assert masters_overlap(heard, 9, (A, B), 0.1) == 0.0


def test_both_advertising_counts_the_shared_time() -> None:
    # a from 0 to 0.9 s (+0.15 s hold), b from 0.5 s: shared 0.5 .. 1.05
    heard = adverts(A, 0, 10) + adverts(B, 500, 10)
    assert abs(masters_overlap(heard, 9, (A, B), 0.1) - 0.55) < 1e-9


def test_a_gap_longer_than_the_hold_ends_a_span() -> None:
    heard = adverts(A, 0, 3) + adverts(A, 1000, 3) + adverts(B, 0, 20)
    # a's spans: 0 .. 0.35 and 1.0 .. 1.35; b advertises throughout
    assert abs(masters_overlap(heard, 9, (A, B), 0.1) - 0.7) < 1e-9


def test_priority_zero_and_other_vrids_do_not_count() -> None:
    heard = (adverts(A, 0, 10) + adverts(B, 0, 10, priority=0)
             + adverts(B, 0, 10, vrid=10))
    assert masters_overlap(heard, 9, (A, B), 0.1) == 0.0
