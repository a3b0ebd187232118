"""VRRP (RFC 3768, RFC 5798, RFC 9568) as pure code: events and a clock in, actions out."""
