"""vrrp_sync_group on the virtual LAN: one member's fault moves the whole group.

Expected times are literals from RFC 3768 §6.1 (v2, advert_int 1 s), not the product's
timing functions: Skew_Time = (256 - Priority) / 256 s, Master_Down_Interval = 3 s + it.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from pykeepalived.sim.cluster import Cluster
from pykeepalived.sim.scenario import instance_params, node_address
from pykeepalived.vrrp.tracking import TrackKind, TrackSpec

MEMBERS = ("VI_1", "VI_2")


def grouped_pair() -> Cluster:
    """n1 (150) and n2 (100), each running VI_1 (vrid 51) and VI_2 (vrid 52) in group G."""
    cluster = Cluster()
    link = TrackSpec(TrackKind.INTERFACE, "eth1")
    for index, priority in ((1, 150), (2, 100)):
        name = f"n{index}"
        cluster.add_node(name, node_address(index))
        cluster.add_instance(name, instance_params(priority, index, name="VI_1", vrid=51))
        vi2 = instance_params(
            priority, index, name="VI_2", vrid=52, virtual_addresses=(IPv4Address("192.0.2.101"),)
        )
        cluster.add_instance(name, vi2, [link])
        cluster.add_sync_group(name, "G", MEMBERS)
    return cluster


def test_group_members_become_master_together() -> None:
    cluster = grouped_pair()
    cluster.start_all()
    cluster.run_until(10)
    for member in MEMBERS:
        assert cluster.masters(member) == {"n1"}
        # 3 + (256 - 150) / 256 = 3.4140625
        assert cluster.timeline.first_entered("n1", member, "MASTER") == 3.4140625


def test_one_member_fault_takes_the_whole_group_to_fault_and_the_vips_move() -> None:
    cluster = grouped_pair()
    cluster.start_all()
    cluster.run_until(10.2)
    cluster.set_interface("n1", "eth1", up=False)  # only VI_2 tracks eth1
    assert cluster.state("n1", "VI_2") == "FAULT"
    assert cluster.state("n1", "VI_1") == "FAULT"  # dragged along by the group
    cluster.run_until(20)
    # both leaving masters sent priority 0: n2's members take over after Skew_Time,
    # (256 - 100) / 256 = 0.609375 s
    for member in MEMBERS:
        assert cluster.timeline.first_entered("n2", member, "MASTER") == 10.2 + 0.609375
        assert cluster.timeline.vip_holders(member, 20) == {"n2"}
    assert "VRRP_Group(G) Syncing instances to FAULT state" in cluster.timeline.messages("n1")


def test_group_recovers_only_when_the_faulted_member_recovers() -> None:
    cluster = grouped_pair()
    cluster.start_all()
    cluster.run_until(10.2)
    cluster.set_interface("n1", "eth1", up=False)
    cluster.run_until(15)
    cluster.set_interface("n1", "eth1", up=True)
    assert cluster.state("n1", "VI_1") == "BACKUP"
    assert cluster.state("n1", "VI_2") == "BACKUP"
    cluster.run_until(30)
    for member in MEMBERS:
        assert cluster.masters(member) == {"n1"}


def test_a_faulted_link_at_boot_holds_every_member_in_fault() -> None:
    cluster = grouped_pair()
    cluster.set_interface("n1", "eth1", up=False)
    cluster.start_all()
    cluster.run_until(10)
    for member in MEMBERS:
        assert cluster.state("n1", member) == "FAULT"
        assert cluster.masters(member) == {"n2"}
