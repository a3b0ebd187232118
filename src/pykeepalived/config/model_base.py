"""The model's leaf values, shared by the VRRP model (`model.py`) and the check model
(`model_check.py`), so that neither has to import the other's module to name them."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.config.diagnostics import Location

IPAddress = IPv4Address | IPv6Address


@dataclass(frozen=True, slots=True)
class Option:
    """A recognised keyword kept verbatim (accepted, not interpreted yet)."""

    keyword: str
    args: tuple[str, ...]
    location: Location
    children: tuple[Option, ...] = ()


@dataclass(frozen=True, slots=True)
class NotifyScript:
    """A command keepalived runs: program first, then its arguments."""

    command: tuple[str, ...]
    location: Location
    user: str | None = None
    group: str | None = None

    @property
    def path(self) -> str:
        return self.command[0] if self.command else ""
