"""keepalived.conf text for one VI_T instance, the daemon tests' usual node."""

from __future__ import annotations


def instance_conf(*, vrid: int, priority: int, vip: str, version: int = 3,
                  advert: str = "0.1", interface: str = "eth0", extra: str = "",
                  global_extra: str = "") -> str:
    """One vrrp_instance VI_T (plus global_defs), in keepalived.conf syntax."""
    return f"""global_defs {{
    router_id pyka{vrid}
    vrrp_version {version}
    vrrp_garp_master_delay 1
    {global_extra}
}}
vrrp_instance VI_T {{
    state BACKUP
    interface {interface}
    virtual_router_id {vrid}
    priority {priority}
    advert_int {advert}
    {extra}
    virtual_ipaddress {{
        {vip}
    }}
}}
"""
