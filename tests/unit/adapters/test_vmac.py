"""VmacManager over fake links and sysctls: keepalived's order, values and restores."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from ipaddress import IPv6Address

import pytest

from pykeepalived.adapters.vmac import VmacError, VmacManager
from pykeepalived.specs.vmac import (
    VmacSpec,
    default_vmac_name,
    parse_vmac_mac,
    valid_ifname,
    virtual_mac,
)

SPEC = VmacSpec("vrrp.251", "eth0", virtual_mac(251, 4))


@dataclass
class FakeLinks:
    kinds: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[object, ...]] = field(default_factory=list)

    async def link_kind(self, ifname: str) -> str | None:
        return self.kinds.get(ifname)

    async def add_macvlan(self, ifname: str, base_ifname: str, mac: str) -> int:
        self.calls.append(("add", ifname, base_ifname, mac))
        self.kinds[ifname] = "macvlan"
        return 9

    async def link_up(self, ifname: str, *, addr_gen_none: bool) -> None:
        self.calls.append(("up", ifname, addr_gen_none))

    async def delete_link(self, ifname: str) -> bool:
        self.calls.append(("delete", ifname))
        return self.kinds.pop(ifname, None) is not None

    async def add_address(self, spec: object) -> bool:
        self.calls.append(("address", str(getattr(spec, "address", spec))))
        return True


@dataclass
class FakeSysctls:
    values: dict[str, int]

    def read(self, path: str) -> int | None:
        return self.values.get(path)

    def write(self, path: str, value: int) -> bool:
        self.values[path] = value
        return True

    def interfaces(self) -> list[str]:
        return sorted({p.split("/")[3] for p in self.values if p.startswith("net/ipv4/conf/")}
                      - {"all", "default"})


def conf(ifname: str, name: str) -> str:
    return f"net/ipv4/conf/{ifname}/{name}"


def manager(values: dict[str, int]) -> tuple[VmacManager, FakeLinks, FakeSysctls, list[str]]:
    links, sysctls, lines = FakeLinks(), FakeSysctls(values), []
    return VmacManager(links, lines.append, sysctls), links, sysctls, lines


def test_create_sets_keepalived_sysctls_and_delete_restores_the_parent() -> None:
    values = {conf("eth0", "arp_ignore"): 0, conf("eth0", "arp_filter"): 0,
              conf("all", "rp_filter"): 0}
    vmacs, links, sysctls, _ = manager(values)

    async def scenario() -> int:
        index = await vmacs.create(SPEC, "VI_1")
        assert sysctls.values[conf("eth0", "arp_ignore")] == 1
        assert sysctls.values[conf("eth0", "arp_filter")] == 1
        await vmacs.delete(SPEC)
        return index

    assert asyncio.run(scenario()) == 9
    assert links.calls == [("add", "vrrp.251", "eth0", "00:00:5e:00:01:fb"),
                           ("up", "vrrp.251", True), ("delete", "vrrp.251")]
    assert [sysctls.values[conf("vrrp.251", n)] for n in
            ("arp_ignore", "accept_local", "rp_filter", "promote_secondaries")] == [1, 1, 0, 1]
    assert sysctls.values["net/ipv6/conf/vrrp.251/disable_ipv6"] == 1
    assert sysctls.values[conf("eth0", "arp_ignore")] == 0
    assert sysctls.values[conf("eth0", "arp_filter")] == 0


def test_parent_restored_only_when_its_last_vmac_goes() -> None:
    values = {conf("eth0", "arp_ignore"): 2, conf("eth0", "arp_filter"): 0,
              conf("all", "rp_filter"): 0}
    vmacs, _, sysctls, _ = manager(values)
    other = VmacSpec("vrrp.252", "eth0", virtual_mac(252, 4))

    async def scenario() -> list[int]:
        await vmacs.create(SPEC, "VI_1")
        await vmacs.create(other, "VI_2")
        await vmacs.delete(SPEC)
        seen = [sysctls.values[conf("eth0", "arp_ignore")]]
        await vmacs.delete(other)
        return [*seen, sysctls.values[conf("eth0", "arp_ignore")]]

    assert asyncio.run(scenario()) == [1, 2]


def test_all_rp_filter_is_pushed_down_cleared_and_restored() -> None:
    values = {conf("all", "rp_filter"): 2, conf("default", "rp_filter"): 1,
              conf("eth0", "rp_filter"): 0, conf("lo", "rp_filter"): 2}
    vmacs, _, sysctls, lines = manager(values)
    asyncio.run(vmacs.create(SPEC, "VI_1"))
    assert sysctls.values[conf("all", "rp_filter")] == 0
    assert sysctls.values[conf("default", "rp_filter")] == 2
    assert sysctls.values[conf("eth0", "rp_filter")] == 2
    assert "NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from 2 to 0" in lines
    asyncio.run(vmacs.delete(SPEC))
    vmacs.restore()
    assert sysctls.values[conf("all", "rp_filter")] == 2
    assert sysctls.values[conf("default", "rp_filter")] == 1
    assert sysctls.values[conf("eth0", "rp_filter")] == 0
    assert sysctls.values[conf("lo", "rp_filter")] == 2


def test_existing_names() -> None:
    vmacs, links, _, lines = manager({conf("all", "rp_filter"): 0})
    links.kinds["vrrp.251"] = "macvlan"
    asyncio.run(vmacs.create(SPEC, "VI_1"))
    assert links.calls[0] == ("delete", "vrrp.251")
    assert "(VI_1) Removing old VMAC interface vrrp.251 due to conflicting interface" in lines
    vmacs, links, _, _ = manager({})
    links.kinds["vrrp.251"] = "veth"
    with pytest.raises(VmacError, match=r"VMAC vrrp\.251 conflicts with existing interface"):
        asyncio.run(vmacs.create(SPEC, "VI_1"))
    assert links.calls == []


def test_ipv6_vmac_keeps_ipv6_and_gets_the_link_local() -> None:
    spec = VmacSpec("vrrp.251", "eth0", virtual_mac(251, 6), 6, ipv6=True,
                    link_local=IPv6Address("fe80::1"))
    vmacs, links, sysctls, _ = manager({})
    asyncio.run(vmacs.create(spec, "VI_6"))
    assert links.calls[-1] == ("address", "fe80::1/64")
    assert sysctls.values == {"net/ipv6/conf/vrrp.251/disable_ipv6": 0}
    assert spec.mac == bytes.fromhex("00005e0002fb")


def test_names_and_macs() -> None:
    assert default_vmac_name("vrrp", 5, set()) == "vrrp.5"
    assert default_vmac_name("vrrp", 5, {"vrrp.5"}) == "vrrp1.5"
    assert default_vmac_name("vrrp", 5, {"vrrp.5"}, family=6) == "vrrp6.5"
    assert default_vmac_name("averyveryverylongprefix", 255, set()) == "averyveryve.255"
    assert not valid_ifname("a:b")
    assert not valid_ifname("x" * 16)
    assert valid_ifname("vrrp51")
    assert parse_vmac_mac("02:00:00:00:00", 7) == bytes.fromhex("020000000007")
    with pytest.raises(ValueError, match="invalid"):
        parse_vmac_mac("02:00:00", 7)
