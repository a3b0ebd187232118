"""The LVS sync daemon's spec, which both processes build: the VRRP one follows its
instance's state with it, the checker runs it.

Apart from check_build.py so that the VRRP process does not import the checker's
specs, parameters and model (~0.5 MiB it never uses).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pykeepalived.check.lvs import SyncDaemonSpec

if TYPE_CHECKING:
    from pykeepalived.config.model import Config


def sync_daemon_spec(config: Config, warnings: list[str]) -> SyncDaemonSpec | None:
    """With an instance, its VRID is the default sync id; an unknown instance clears
    the sync daemon, as keepalived's VRRP process does."""
    syncd = config.global_defs.lvs_sync_daemon
    if syncd is None:
        return None
    sync_id = syncd.sync_id
    if syncd.instance is not None:
        instance = config.instance(syncd.instance)
        if instance is None:
            warnings.append(f"Unable to find vrrp instance {syncd.instance} for lvs_syncd"
                            " - clearing lvs_syncd config")
            return None
        sync_id = instance.virtual_router_id if sync_id is None else sync_id
    return SyncDaemonSpec(syncd.interface, syncd.instance, sync_id or 0, syncd.max_len,
                          syncd.port, syncd.ttl, syncd.group)
