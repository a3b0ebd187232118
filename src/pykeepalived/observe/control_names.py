"""The control socket's names and requests: what the daemon and its clients agree on.

Apart from control.py (the JSON documents and their renderers) so that the daemon can
listen without loading the renderers: they are imported at the first request.
"""

from __future__ import annotations

#: the socket's file name, beside the main pid file by default (`--control-socket`)
CONTROL_SOCKET_NAME = "pykeepalived.sock"
#: the checker child's socket: the VRRP process's path with this suffix
CHECK_SOCKET_SUFFIX = ".check"

REQUEST_STATUS = "status"
REQUEST_CHECK = "check"
