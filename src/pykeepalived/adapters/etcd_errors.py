"""EtcdError: how an etcd call failed, which the daemon's lease runner reads.

Apart from etcd_lease.py (the client: JSON, base64, HTTP) so that the daemon can name
the error without loading the client unless a lease witness is configured.
"""

from __future__ import annotations


class EtcdError(Exception):
    def __init__(self, message: str, *, reached: bool, refused_request: bool = False) -> None:
        super().__init__(message)
        #: etcd's host answered (refused, HTTP error) as opposed to no answer at all
        self.reached = reached
        #: etcd served and said no to this request (HTTP 4xx: our lease is gone...)
        self.refused_request = refused_request

    @property
    def not_serving(self) -> bool:
        """etcd reached but not serving: connection refused or a server error."""
        return self.reached and not self.refused_request

    @property
    def lease_gone(self) -> bool:
        return self.refused_request and "lease not found" in str(self)

