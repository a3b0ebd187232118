"""The lease witness (ours) as the runtime executes it: where etcd is, which key, how long."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LeaseSpec:
    """One instance's key on etcd's v3 JSON gateway.

    `holder` is what we write as the key's value (our primary address): the peer that
    cannot take the key reads it as the reason. `renew_every` and `margin` follow from
    the TTL: renew three times per TTL; give the VIP up `margin` before the TTL would end
    since the last renewal was *sent*, so we let go before etcd lets the key go.
    """

    endpoints: tuple[str, ...]
    key: str
    ttl: int
    holder: str

    @property
    def renew_every(self) -> float:
        return self.ttl / 3

    @property
    def margin(self) -> float:
        return min(0.5, self.ttl / 4)

    @property
    def request_timeout(self) -> float:
        return min(1.0, self.ttl / 4)
