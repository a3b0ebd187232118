"""build.py on the example configs: Config + interface facts → exact instance specs."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_interface
from pathlib import Path

import pytest

from pykeepalived.config.host import HostFacts
from pykeepalived.config.load import load_config
from pykeepalived.specs.build import build, interfaces_needed
from pykeepalived.specs.instance import BuildError, ReloadKey
from pykeepalived.vrrp.advert import AuthType
from pykeepalived.vrrp.checksum import ChecksumMode
from pykeepalived.vrrp.params import GarpParams, State, UnicastPeer
from pykeepalived.vrrp.tracking import TrackKind, TrackSpec
from tests.unit.daemon.rt_fakes import FACTS, MAC

ROOT = Path(__file__).resolve().parents[3]
HOST = HostFacts(interfaces=frozenset({"eth0", "lo"}))


def load(relative: str):
    result = load_config(str(ROOT / relative), host=HOST)
    assert result.config is not None
    return result.config


def test_haproxy_node1_unicast_pass_nopreempt() -> None:
    config = load("examples/haproxy-pair/keepalived-node1.conf")
    spec = build(config, FACTS).instances[0]
    p = spec.params
    assert (p.name, p.vrid, p.version, p.family, p.priority) == ("VI_HAPROXY", 61, 2, 4, 150)
    assert p.advert_int_cs == 100
    assert p.preempt is False
    assert p.effective_nopreempt is True
    assert (p.auth_type, p.auth_data) == (AuthType.PASS, b"hapair61")
    assert p.unicast_peers == (UnicastPeer(IPv4Address("192.0.2.12")),)
    assert p.primary_address == IPv4Address("192.0.2.11")
    assert p.virtual_addresses == (IPv4Address("192.0.2.61"),)
    assert p.garp == GarpParams(5.0, 5, 0.0, 1, 5.0, 5)
    sock = spec.socket
    assert sock.group is None
    assert sock.unicast
    assert sock.peers == (IPv4Address("192.0.2.12"),)
    assert sock.source == IPv4Address("192.0.2.11")
    assert sock.auth_key == b"hapair61"
    assert sock.accept_checksums == (ChecksumMode.KEEPALIVED, ChecksumMode.OLD_UNICAST)
    assert [(v.ifname, v.address, v.label) for v in spec.vips] == [
        ("eth0", ip_interface("192.0.2.61/24"), "eth0:vip")]
    assert spec.key == ReloadKey(61, 4, "eth0", True)
    assert spec.mac == MAC
    assert spec.notify.master == ("/etc/keepalived/notify.sh", "MASTER")
    assert spec.notify.generic is None


def test_haproxy_node1_tracks_its_interface_and_its_fault_script() -> None:
    daemon = build(load("examples/haproxy-pair/keepalived-node1.conf"), FACTS)
    assert daemon.instances[0].track == (
        TrackSpec(TrackKind.INTERFACE, "eth0"),
        TrackSpec(TrackKind.SCRIPT, "chk_haproxy", 0, False),
    )
    (script,) = daemon.scripts
    assert (script.name, script.command.argv) == ("chk_haproxy",
                                                  ("/usr/bin/pgrep", "-x", "haproxy"))
    assert (script.interval, script.timeout, script.rise, script.fall) == (2.0, 2.0, 2, 2)


def test_haproxy_pair_nodes_share_the_reload_key_but_not_the_priority() -> None:
    one = build(load("examples/haproxy-pair/keepalived-node1.conf"), FACTS).instances[0]
    two = build(load("examples/haproxy-pair/keepalived-node2.conf"), FACTS).instances[0]
    assert one.key == two.key
    assert (one.params.priority, two.params.priority) == (150, 120)
    assert two.params.primary_address == IPv4Address("192.0.2.12")  # unicast_src_ip wins


def test_ipv6_v3_multicast_from_the_link_local() -> None:
    spec = build(load("tests/data/configs/good_ipv6_v3.conf"), FACTS).instances[0]
    assert (spec.params.version, spec.params.family, spec.params.advert_int_cs) == (3, 6, 50)
    assert spec.params.primary_address == IPv6Address("fe80::aa0b")
    assert spec.socket.group == IPv6Address("ff02::12")
    assert spec.socket.source == IPv6Address("fe80::aa0b")
    assert spec.vips[0].nodad is True
    assert spec.key == ReloadKey(66, 6, "eth0", False)


def test_multicast_v4_and_excluded_vips() -> None:
    spec = build(load("tests/data/configs/good_excluded_v6.conf"), FACTS).instances[0]
    assert spec.socket.group == IPv4Address("224.0.0.18")
    assert spec.socket.source == IPv4Address("192.0.2.11")
    # the advert carries only the included VIP; both get added
    assert spec.params.virtual_addresses == (IPv4Address("192.0.2.10"),)
    assert [str(v.address) for v in spec.vips] == ["192.0.2.10/24", "2001:db8::5/64"]
    assert spec.params.wanted_initial_state is State.BACKUP


def test_unicast_pair_globals_merge_into_instances() -> None:
    daemon = build(load("tests/data/configs/good_unicast_pair.conf"), FACTS)
    u, v = daemon.instances
    assert u.params.skip_check_adv_addr
    assert v.params.skip_check_adv_addr
    assert u.params.garp.master_refresh == 60.0
    assert u.params.initial_state is State.MASTER
    assert u.params.unicast_peers == (UnicastPeer(IPv4Address("192.0.2.22"), 250, 255),)
    assert u.socket.source == IPv4Address("192.0.2.21")
    assert u.tracked_vips == {IPv4Address("192.0.2.71"), IPv4Address("192.0.2.72")}
    assert [(g.name, g.members) for g in daemon.groups] == [("SG", ("VI_U", "VI_V"))]


def test_missing_interface_is_a_clear_error() -> None:
    config = load("tests/data/configs/good_ipv6_v3.conf")
    with pytest.raises(BuildError, match=r"\(VI_6\) WARNING - interface eth0 doesn't exist"):
        build(config, {})


def test_interfaces_needed_lists_own_and_vip_devices() -> None:
    assert interfaces_needed(load("examples/haproxy-pair/keepalived-node1.conf")) == {"eth0"}
