"""pykeepalived's status document for one lab node (its only instance)."""

from __future__ import annotations

import json
import os
from typing import Any

from netlab.lab import wait_for
from netlab.peers import DUMP_SIGNALS, PrivatePyNode


def instance_status(node: PrivatePyNode) -> dict[str, Any]:
    """SIGRTMIN+2, then the status file it writes (atomically: present means complete)."""
    path = node.directory / "pykeepalived.status.json"
    path.unlink(missing_ok=True)
    os.kill(node.daemon_pid(), DUMP_SIGNALS["keepalived.json"])
    wait_for(path.exists, 5.0, what=f"pykeepalived's status file on {node.host}")
    (inst,) = json.loads(path.read_text())["instances"]
    return dict(inst)
