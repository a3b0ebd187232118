"""`use_vmac` + `vmac_xmit_base` → the macvlan an instance runs on (adapters/vmac.py).

Its own module because keepalived corrects these two keywords in several steps (name
clashes, strict mode, unicast) that have nothing to do with the rest of an instance's
build; `build.py` only asks for the resulting `VmacSpec` (or None without use_vmac).
"""

from __future__ import annotations

from ipaddress import IPv6Address
from typing import TYPE_CHECKING

from pykeepalived.adapters.vmac import (
    VmacSpec,
    default_vmac_name,
    parse_vmac_mac,
    valid_ifname,
    virtual_mac,
)

if TYPE_CHECKING:
    from pykeepalived.config import model
    from pykeepalived.vrrp.params import InstanceParams


def vmac_spec(g: model.GlobalDefs, inst: model.VrrpInstanceConfig, ifname: str,
              params: InstanceParams, taken: set[str], warnings: list[str]) -> VmacSpec | None:
    """`use_vmac [NAME] [MAC]` + `vmac_xmit_base`, corrected as keepalived corrects them."""
    name = inst.name
    if inst.use_vmac is None:
        if inst.vmac_xmit_base:
            warnings.append(f"({name}) vmac_xmit_base is only valid with a vmac")
        return None
    ifname_wanted, mac = None, virtual_mac(params.vrid, params.family)
    for word in inst.use_vmac.split()[:2]:
        if ":" in word:
            try:
                mac = parse_vmac_mac(word, params.vrid)
            except ValueError as exc:
                warnings.append(str(exc))
        elif _is_default_vmac_name(word, params.vrid):
            continue  # the parser's own default: keepalived picks the name at the end
        elif not valid_ifname(word) or word in taken:
            warnings.append(f"VMAC interface name '{word}' too long or invalid characters"
                            " - ignoring" if word not in taken else
                            f"({name}) VMAC interface name {word} already in use - ignoring")
        else:
            ifname_wanted = word
    if params.strict_mode and mac != virtual_mac(params.vrid, params.family):
        warnings.append(f"({name}): cannot specify MAC address with strict mode - clearing")
        mac = virtual_mac(params.vrid, params.family)
    xmit_base = inst.vmac_xmit_base
    if inst.unicast and not xmit_base:
        warnings.append(f"({name}) unicast with use_vmac requires vmac_xmit_base - setting")
        xmit_base = True
    if params.strict_mode and xmit_base:
        warnings.append(f"({name}) xmit_base is incompatible with strict mode - resetting")
        xmit_base = False
    vmac_ifname = ifname_wanted or default_vmac_name(
        _global_option(g, "vmac_prefix") or "vrrp", params.vrid, taken, params.family)
    taken.add(vmac_ifname)
    ipv6 = params.family == 6 or any(v.address.version == 6 and v.dev is None
                                     for v in inst.virtual_ipaddresses_excluded)
    link_local = params.primary_address if params.family == 6 else None
    return VmacSpec(vmac_ifname, ifname, mac, params.family, xmit_base, ipv6,
                    link_local if isinstance(link_local, IPv6Address) else None)


def _is_default_vmac_name(word: str, vrid: int) -> bool:
    """config/schema_vrrp names a bare `use_vmac` `vrrp.VRID` (`vrrp.0` before the VRID)."""
    return word in ("vrrp.0", f"vrrp.{vrid}")


def _global_option(g: model.GlobalDefs, keyword: str) -> str | None:
    return next((o.args[0] for o in g.options if o.keyword == keyword and o.args), None)

