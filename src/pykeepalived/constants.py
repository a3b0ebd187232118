"""Numbers keepalived.conf, the VRRP core and the spec builder must agree on.

A leaf every layer may import: the config layer validates against these, the core acts
on them, and one definition keeps them from drifting apart.
"""

from __future__ import annotations

from typing import Final

#: RFC 5798 §5.2.4: the address owner's priority; it takes over at once and is never
#: moved by tracking weights.
PRIORITY_OWNER: Final = 255
#: keepalived's default priority for a BACKUP instance (vrrp_parser.c).
PRIORITY_DEFAULT: Final = 100
#: C's INT_MAX / UINT_MAX, the bounds of keepalived's read_int / read_unsigned.
INT_MAX: Final = 2**31 - 1
UINT_MAX: Final = 2**32 - 1
