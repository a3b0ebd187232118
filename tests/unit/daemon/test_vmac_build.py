"""use_vmac / vmac_xmit_base from keepalived.conf text to the instance spec."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pykeepalived.config.host import HostFacts
from pykeepalived.config.load import load_config
from pykeepalived.specs.build import build
from pykeepalived.specs.vmac import VmacSpec
from tests.unit.daemon.rt_fakes import FACTS, MAC
from tests.unit.daemon.rt_specs import daemon_from, instance_text

if TYPE_CHECKING:
    from pathlib import Path

VMAC_171 = bytes.fromhex("00005e0001ab")


def test_bare_use_vmac_makes_vrrp_vrid_with_the_rfc_mac(tmp_path: Path) -> None:
    spec = daemon_from(instance_text(extra="use_vmac"), tmp_path).instances[0]
    assert spec.vmac == VmacSpec("vrrp.171", "eth0", VMAC_171, 4, False, False, None)
    assert spec.mac == VMAC_171
    assert (spec.socket.ifname, spec.socket.ifindex) == ("vrrp.171", 0)  # runtime fills it
    assert [v.ifname for v in spec.vips] == ["vrrp.171"]
    assert spec.garp_ifname == "vrrp.171"


def test_use_vmac_before_the_vrid_still_names_it_after_the_vrid(tmp_path: Path) -> None:
    text = instance_text(extra="").replace("interface eth0", "use_vmac\n    interface eth0")
    assert daemon_from(text, tmp_path).instances[0].vmac.ifname == "vrrp.171"  # type: ignore[union-attr]


def test_named_vmac(tmp_path: Path) -> None:
    spec = daemon_from(instance_text(extra="use_vmac vrrp51"), tmp_path).instances[0]
    assert spec.vmac is not None
    assert (spec.vmac.ifname, spec.vmac.mac) == ("vrrp51", VMAC_171)


def test_name_and_mac_from_the_config_text(tmp_path: Path) -> None:
    text = instance_text(extra="use_vmac vrrp51 02:00:00:00:00:33")
    vmac = daemon_from(text, tmp_path).instances[0].vmac
    assert vmac is not None
    assert (vmac.ifname, vmac.mac) == ("vrrp51", bytes.fromhex("020000000033"))


def test_name_and_mac_words_are_both_read(tmp_path: Path) -> None:
    """build reads both words, in either order."""
    result = load_config(str(_write(tmp_path, instance_text(extra="use_vmac"))),
                         host=HostFacts(interfaces=frozenset({"eth0"})))
    assert result.config is not None
    inst = replace(result.config.instances[0], use_vmac="vrrp51 02:00:00:00:00:33")
    config = replace(result.config, instances=(inst,))
    vmac = build(config, FACTS).instances[0].vmac
    assert vmac is not None
    assert (vmac.ifname, vmac.mac) == ("vrrp51", bytes.fromhex("020000000033"))
    five = replace(inst, use_vmac="02:00:00:00:00")  # five octets: the VRID is the sixth
    vmac = build(replace(config, instances=(five,)), FACTS).instances[0].vmac
    assert vmac is not None
    assert (vmac.ifname, vmac.mac) == ("vrrp.171", bytes.fromhex("0200000000ab"))


def test_bad_macs_are_ignored_with_keepalived_words(tmp_path: Path) -> None:
    for word, warning in (("01:00:00:00:00:01", "VMAC MAC address is multicast"),
                          ("00:00:5e:00:01:05", "not allowed to be RFC5798 address"),
                          ("00:zz:00:00:00:01", "VMAC invalid MAC address")):
        daemon = daemon_from(instance_text(extra=f"use_vmac {word}"), tmp_path)
        assert daemon.instances[0].vmac.mac == VMAC_171  # type: ignore[union-attr]
        assert any(warning in w for w in daemon.warnings), (word, daemon.warnings)


def test_xmit_base_keeps_the_socket_on_the_nic(tmp_path: Path) -> None:
    spec = daemon_from(instance_text(extra="use_vmac\n    vmac_xmit_base"),
                       tmp_path).instances[0]
    assert spec.vmac is not None
    assert spec.vmac.xmit_base
    assert (spec.socket.ifname, spec.socket.ifindex) == ("eth0", 2)
    assert [v.ifname for v in spec.vips] == ["vrrp.171"]
    assert spec.garp_ifname == "vrrp.171"
    assert spec.mac == VMAC_171


def test_unicast_forces_xmit_base_and_xmit_base_alone_is_ignored(tmp_path: Path) -> None:
    unicast = "use_vmac\n    unicast_peer {\n 192.0.2.12\n }"
    daemon = daemon_from(instance_text(extra=unicast), tmp_path)
    assert daemon.instances[0].vmac.xmit_base  # type: ignore[union-attr]
    assert "(VI_T) unicast with use_vmac requires vmac_xmit_base - setting" in daemon.warnings
    daemon = daemon_from(instance_text(extra="vmac_xmit_base"), tmp_path)
    assert daemon.instances[0].vmac is None
    assert daemon.instances[0].mac == MAC
    assert "(VI_T) vmac_xmit_base is only valid with a vmac" in daemon.warnings


def test_vmac_prefix_and_name_clashes(tmp_path: Path) -> None:
    text = ("global_defs {\n vmac_prefix vm\n}\n"
            + instance_text(name="V1", vrid=171, extra="use_vmac")
            + instance_text(name="V2", vrid=171, vips="192.0.2.172/24",
                            extra="use_vmac\n interface eth0"))
    names = [i.vmac.ifname for i in daemon_from(text, tmp_path).instances]  # type: ignore[union-attr]
    assert names == ["vm.171", "vm1.171"]


def test_a_vip_with_its_own_dev_stays_there(tmp_path: Path) -> None:
    spec = daemon_from(instance_text(extra="use_vmac", vips="192.0.2.171/24 dev lo"),
                       tmp_path).instances[0]
    assert [v.ifname for v in spec.vips] == ["lo"]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "k.conf"
    path.write_text(text)
    return path
