"""RFC 3768 / RFC 5798 timer arithmetic, in one unit so v2 and v3 share one formula.

Intervals are kept in centiseconds (VRRPv3's unit; a v2 interval of N seconds is N x 100),
and results are seconds as floats because that is the clock the core is driven with. The
arithmetic is exact in integers first: every RFC value is k / 25600 seconds (a skew is
(256 - Priority) x interval / 256 centiseconds), and one correctly rounded division gives
the float nearest to it (as float(Fraction(k, 25600)) would, without importing fractions
and decimal: 0.4 MiB of the daemon's memory), so a test can compare a deadline with `==`.

keepalived computes the same values in integer microseconds and truncates (its data dump
shows "Master down timer = 3414062 usecs" for 3.4140625 s); the sub-microsecond
difference is invisible on the wire, so the exact RFC value is used here.
"""

from __future__ import annotations

from pykeepalived.constants import PRIORITY_OWNER

#: Default number of missed adverts before a backup takes over (RFC: 3).
DOWN_TIMER_ADVERTS = 3
#: A master giving up its role (RFC 5798 §5.2.4); the owner's 255 is in constants.py.
PRIORITY_STOP = 0


#: an RFC timer value in 1/256 centiseconds is an integer; this many make a second
_UNITS_PER_S = 256 * 100


def _units_to_s(units: int) -> float:
    return units / _UNITS_PER_S


def _skew_units(priority: int, master_adver_int_cs: int, version: int) -> int:
    """VRRPv3 scales the skew by the master's interval (RFC 5798 §6.1); VRRPv2 does not:
    its Skew_Time is (256 - Priority) / 256 *seconds* whatever the interval (RFC 3768
    §6.1), and keepalived's VRRP_TIMER_SKEW_CALC does the same."""
    _check_priority(priority)
    unit_cs = master_adver_int_cs if version == 3 else 100
    return (256 - priority) * unit_cs  # in 1/256 cs


def skew_time(priority: int, master_adver_int_cs: int, *, version: int) -> float:
    """Skew_Time: v3 ((256 - Priority) x Master_Adver_Interval) / 256, v2 (256 - Priority) / 256 s.

    keepalived feeds the *effective* priority here, so a tracker that lowers the
    priority also makes this router slower to take over; callers pass that value.
    """
    return _units_to_s(_skew_units(priority, master_adver_int_cs, version))


def master_down_interval(
    priority: int,
    master_adver_int_cs: int,
    down_timer_adverts: int = DOWN_TIMER_ADVERTS,
    *,
    version: int,
) -> float:
    """Master_Down_Interval = down_timer_adverts x Master_Adver_Interval + Skew_Time.

    The RFC multiplier is 3; keepalived makes it configurable (`down_timer_adverts`).
    """
    if down_timer_adverts < 1:
        raise ValueError(f"down_timer_adverts must be >= 1, not {down_timer_adverts}")
    total = down_timer_adverts * master_adver_int_cs * 256 + _skew_units(
        priority, master_adver_int_cs, version)
    return _units_to_s(total)


def min_skew_time(master_adver_int_cs: int, *, version: int) -> float:
    """The smallest skew (priority 255), keepalived's VRRP_TIMER_SKEW_MIN."""
    return skew_time(PRIORITY_OWNER, master_adver_int_cs, version=version)


def interval_seconds(interval_cs: int) -> float:
    """An advert interval in seconds: what the master's Adver_Timer is armed with.

    Float division of two integers is correctly rounded: this runs for every advert of
    every MASTER."""
    return interval_cs / 100


def _check_priority(priority: int) -> None:
    if not 0 <= priority <= PRIORITY_OWNER:
        raise ValueError(f"priority must be 0..255, not {priority}")
