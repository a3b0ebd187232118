"""RFC 3768 §6.1 / RFC 5798 §6.1 timer arithmetic, with the worked examples as golden values."""

from __future__ import annotations

import pytest

from pykeepalived.vrrp.timing import (
    interval_seconds,
    master_down_interval,
    min_skew_time,
    skew_time,
)


@pytest.mark.parametrize(
    ("priority", "interval_cs", "skew", "down"),
    [
        (100, 100, 0.609375, 3.609375),  # RFC worked example, v2 1 s or v3 100 cs
        (150, 100, 0.4140625, 3.4140625),  # [LAB] cold start to MASTER, prio 150
        (100, 10, 0.0609375, 0.3609375),  # v3 at 10 cs
        (254, 100, 0.0078125, 3.0078125),
        (1, 100, 0.99609375, 3.99609375),
        (255, 100, 0.00390625, 3.00390625),
        (200, 300, 0.65625, 9.65625),  # v2 advert_int 3
    ],
)
def test_skew_and_master_down_interval(priority: int, interval_cs: int, skew: float, down: float):
    assert skew_time(priority, interval_cs) == skew
    assert master_down_interval(priority, interval_cs) == down


def test_priority_zero_skew_is_a_full_interval():
    assert skew_time(0, 100) == 1.0


def test_down_timer_adverts_multiplies_the_interval():
    assert master_down_interval(100, 100, down_timer_adverts=1) == 1.609375
    assert master_down_interval(100, 100, down_timer_adverts=10) == 10.609375


def test_min_skew_and_interval_in_seconds():
    assert min_skew_time(100) == 0.00390625
    assert interval_seconds(100) == 1.0
    assert interval_seconds(1) == 0.01


@pytest.mark.parametrize("priority", [-1, 256])
def test_priority_out_of_range_is_refused(priority: int):
    with pytest.raises(ValueError, match=r"priority must be 0\.\.255"):
        skew_time(priority, 100)


def test_down_timer_adverts_zero_is_refused():
    with pytest.raises(ValueError, match="down_timer_adverts"):
        master_down_interval(100, 100, down_timer_adverts=0)
