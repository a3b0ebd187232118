"""`use_vmac` + `vmac_xmit_base` → the macvlan an instance runs on, and the MAC rules for it.

RFC 5798 §7.3 wants the master to answer for its VIPs with 00-00-5E-00-01-{VRID}
(00-00-5E-00-02-{VRID} for IPv6); keepalived 2.2.7 does it with one macvlan per instance.
Which name and MAC that macvlan gets is decided here, as keepalived corrects the two
keywords in several steps (name clashes, strict mode, unicast); adapters/vmac.py makes the
link and owns the sysctls it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv6Address
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pykeepalived.config import model
    from pykeepalived.vrrp.params import InstanceParams

#: keepalived's ll_addr: the RFC 5798 prefix, family octet and VRID follow
VRRP_MAC_PREFIX: Final = bytes.fromhex("00005e00")

def virtual_mac(vrid: int, family: int) -> bytes:
    """00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6)."""
    return VRRP_MAC_PREFIX + bytes([1 if family == 4 else 2, vrid])


def mac_text(mac: bytes) -> str:
    return ":".join(f"{octet:02x}" for octet in mac)


#: IFNAMSIZ - 1: the longest interface name the kernel takes
MAX_IFNAME: Final = 15


def default_vmac_name(prefix: str, vrid: int, taken: set[str], family: int = 4) -> str:
    """keepalived's create_vmac_name: `PREFIX.VRID`, then (IPv6 first) `PREFIX6.VRID`,
    `PREFIX1.VRID`, ... for a name no earlier instance holds; prefix cut to fit."""
    numbers = [6, 1, 2, 3, 4, 5, *range(7, 100)] if family == 6 else list(range(1, 100))
    for number in ("", *map(str, numbers)):
        tail = f"{number}.{vrid}"
        name = prefix[:MAX_IFNAME - len(tail)] + tail
        if name not in taken:
            return name
    raise ValueError(f"no free VMAC name for VRID {vrid}")


def valid_ifname(name: str) -> bool:
    """The kernel's dev_valid_name, as keepalived checks a use_vmac name."""
    return (0 < len(name) <= MAX_IFNAME and name not in (".", "..")
            and not any(c in "/:" or c.isspace() for c in name))


def parse_vmac_mac(text: str, vrid: int) -> bytes:
    """`use_vmac`'s MAC: six octets, or five and the VRID last; not multicast and not
    an RFC 5798 address (keepalived's own rules). ValueError says why not."""
    parts = text.removesuffix(":").split(":")
    if not all(0 < len(p) <= 2 and all(c in "0123456789abcdefABCDEF" for c in p)
               for p in parts) or len(parts) not in (5, 6):
        raise ValueError(f"VMAC invalid MAC address {text} - ignored")
    mac = bytes(int(p, 16) for p in parts) + (bytes([vrid]) if len(parts) == 5 else b"")
    if mac[0] & 0x01:
        raise ValueError(f"VMAC MAC address is multicast {text} - ignoring")
    if mac[:4] == VRRP_MAC_PREFIX and mac[4] in (1, 2):
        raise ValueError(f"VMAC MAC address not allowed to be RFC5798 address ({text})"
                         " - ignoring")
    return mac


@dataclass(frozen=True, slots=True)
class VmacSpec:
    """One instance's vmac. `ipv6`: leave IPv6 on (IPv6 instance, or IPv6 VIPs on it);
    `link_local`: the address an IPv6 instance advertises from, put on the vmac."""

    ifname: str
    base_ifname: str
    mac: bytes
    family: int = 4
    xmit_base: bool = False
    ipv6: bool = False
    link_local: IPv6Address | None = None


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

