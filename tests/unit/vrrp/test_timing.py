"""RFC 3768 §6.1 / RFC 5798 §6.1 timer arithmetic, with the worked examples as golden values."""

from __future__ import annotations

from fractions import Fraction

import pytest

from pykeepalived.vrrp.timing import (
    interval_seconds,
    master_down_interval,
    min_skew_time,
    skew_time,
)


@pytest.mark.parametrize(
    ("version", "priority", "interval_cs", "skew", "down"),
    [
        (2, 100, 100, 0.609375, 3.609375),  # RFC worked example, v2 1 s
        (3, 100, 100, 0.609375, 3.609375),  # same at v3 100 cs
        (3, 150, 100, 0.4140625, 3.4140625),  # [LAB] cold start to MASTER, prio 150
        (3, 100, 10, 0.0609375, 0.3609375),  # v3 at 10 cs: the skew scales with the interval
        (3, 254, 100, 0.0078125, 3.0078125),
        (3, 1, 100, 0.99609375, 3.99609375),
        (3, 255, 100, 0.00390625, 3.00390625),
        (3, 200, 300, 0.65625, 9.65625),  # v3 at 300 cs
        # v2: Skew_Time is (256 - Priority) / 256 seconds whatever the interval (RFC 3768
        # §6.1). keepalived 2.2.7's data dump shows 6648437 usecs for priority 90 at 2 s.
        (2, 200, 300, 0.21875, 9.21875),
        (2, 90, 200, 0.6484375, 6.6484375),
    ],
)
def test_skew_and_master_down_interval(
    version: int, priority: int, interval_cs: int, skew: float, down: float
):
    assert skew_time(priority, interval_cs, version=version) == skew
    assert master_down_interval(priority, interval_cs, version=version) == down


def test_priority_zero_skew_is_a_full_interval():
    assert skew_time(0, 100, version=3) == 1.0


def test_down_timer_adverts_multiplies_the_interval():
    assert master_down_interval(100, 100, down_timer_adverts=1, version=3) == 1.609375
    assert master_down_interval(100, 100, down_timer_adverts=10, version=3) == 10.609375


def test_min_skew_and_interval_in_seconds():
    assert min_skew_time(100, version=3) == 0.00390625
    assert min_skew_time(1000, version=2) == 0.00390625
    # v3 scales it by the interval: (256 - 255) x 10 / 256 = 0.0390625 cs
    assert min_skew_time(10, version=3) == 0.000390625
    assert interval_seconds(100) == 1.0
    assert interval_seconds(1) == 0.01


def test_interval_seconds_is_the_exact_decimal_rounded_once_for_every_interval():
    """Every advert_int keepalived accepts (1 cs to 40.95 s at v3, 255 s at v2): the float
    nearest to cs/100, exactly as from the rational (no double rounding)."""
    for cs in range(1, 25501):
        assert interval_seconds(cs) == float(Fraction(cs, 100)), cs
    assert interval_seconds(10) == 0.1
    assert interval_seconds(3) == 0.03


@pytest.mark.parametrize("priority", [-1, 256])
def test_priority_out_of_range_is_refused(priority: int):
    with pytest.raises(ValueError, match=r"priority must be 0\.\.255"):
        skew_time(priority, 100, version=3)


def test_down_timer_adverts_zero_is_refused():
    with pytest.raises(ValueError, match="down_timer_adverts"):
        master_down_interval(100, 100, down_timer_adverts=0, version=3)
