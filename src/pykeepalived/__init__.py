"""pykeepalived: keepalived's VRRP daemon, rebuilt in Python on a sans-I/O core."""

from __future__ import annotations

__version__ = "0.1.0"

#: What keepalived prints as its banner; exporters parse the version from it.
KEEPALIVED_COMPAT_VERSION = "2.2.7"
