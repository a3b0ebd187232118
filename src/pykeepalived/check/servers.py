"""A real server's running state, and the weight arithmetic keepalived applies to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pykeepalived.constants import INT_MAX

if TYPE_CHECKING:
    from pykeepalived.check.params import RealServerSpec

#: the largest weight IPVS takes (IPVS_WEIGHT_LIMIT)
WEIGHT_LIMIT = INT_MAX


def real_weight(effective: int) -> int:
    """keepalived's real_weight: what IPVS gets, 0..INT_MAX."""
    return max(0, min(effective, WEIGHT_LIMIT))


def file_status(value: int, weight: int, reverse: bool) -> int | None:
    """A FILE_CHECK's weight from its file's value; None is FAULT (keepalived's INT_MIN).

    Weight 0: any non-zero value is a fault (with `reverse`, a zero value is).
    Otherwise value × weight, negated by `reverse`, at most INT_MAX; at or below INT_MIN
    it is a fault too (keepalived's weight_range gives IPVS_WEIGHT_FAULT there).
    """
    if not weight:
        return None if bool(value) != reverse else 0
    status = value * weight * (-1 if reverse else 1)
    return None if status < -INT_MAX else min(status, INT_MAX)


@dataclass
class RealServer:
    """keepalived's real_server_t runtime fields."""

    spec: RealServerSpec
    inhibit: bool
    #: configured weight (iweight) and configured + checker weights (effective_weight)
    iweight: int
    effective: int
    #: all checkers up (in the pool unless quorum is lost to a sorry server)
    alive: bool = False
    #: present in IPVS
    set: bool = False
    #: num_failed_checkers
    failed: int = 0
    #: a reload carried this server over (with `previous`, its weight before it)
    reloaded: bool = False
    previous: int = 0

    @classmethod
    def from_spec(cls, spec: RealServerSpec, *, inhibit: bool) -> RealServer:
        return cls(spec, inhibit, spec.weight, spec.weight)

    @property
    def text(self) -> str:
        return self.spec.text()

    def ipvs_weight(self) -> int:
        """The weight it holds in IPVS now: 0 while an inhibited server is failing."""
        return 0 if self.inhibit and not self.alive else real_weight(self.effective)
