"""The daemon's IPsec-AH wire path against frames captured from keepalived 2.2.7.

The golden files carry the config node a ran (`node_config`), so the specs here come
from that exact text through the real loader and build; FACTS gives eth0 192.0.2.11,
node a's address.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from ipaddress import IPv4Address, ip_address
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pykeepalived.adapters.datagram import Datagram
from pykeepalived.daemon.executor import Executor, InstanceIO
from pykeepalived.daemon.packets import (
    AhState,
    advert_datagrams,
    answers_lower_priority,
    datagram_vrid,
    receive,
    sync_from_lower_priority,
)
from pykeepalived.daemon.real_ports import socket_config
from pykeepalived.vrrp.actions import SendAdvert, StateChanged
from pykeepalived.vrrp.advert import Advertisement, AuthType
from pykeepalived.vrrp.ah import AH_PROTOCOL
from pykeepalived.vrrp.events import AdvertReceived, PacketDropped
from pykeepalived.vrrp.ipv4 import build_ipv4_packet, split_ipv4_packet
from pykeepalived.vrrp.params import State
from tests.unit.daemon.rt_fakes import FakeLog, FakeNetlink, FakeNotifier, Recorder
from tests.unit.daemon.rt_specs import daemon_from

if TYPE_CHECKING:
    from pykeepalived.specs.instance import InstanceSpec

GOLDEN = Path(__file__).resolve().parents[2] / "data" / "golden"
KEY = b"ahkey12"


def golden(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text())
    return data


def golden_spec(tmp_path: Path, instance: str) -> InstanceSpec:
    daemon = daemon_from(golden("v2_ah")["node_config"], tmp_path)
    return next(spec for spec in daemon.instances if spec.name == instance)


def golden_datagram(name: str, payload: bytes | None = None) -> Datagram:
    ip = golden(name)["ip"]
    return Datagram(payload=payload or bytes.fromhex(golden(name)["payload_hex"]),
                    source=ip_address(ip["source"]), destination=ip_address(ip["destination"]),
                    ttl=ip["ttl"], ifindex=2, protocol=ip["protocol"],
                    ip_header=bytes.fromhex(ip["header_hex"]))


def golden_packet(name: str) -> bytes:
    ip = golden(name)["ip"]
    return bytes.fromhex(ip["header_hex"] + golden(name)["payload_hex"])


def master_advert(spec: InstanceSpec, priority: int = 150) -> Advertisement:
    p = spec.params
    return Advertisement(version=2, vrid=p.vrid, priority=priority, interval_cs=100,
                         addresses=p.virtual_addresses, auth_type=p.auth_type,
                         auth_data=p.auth_data)


# ---------------------------------------------------------------------------- build + socket


def test_ah_instance_builds_an_ip_hdrincl_protocol_51_socket(tmp_path: Path) -> None:
    spec = golden_spec(tmp_path, "V2_AH")
    assert (spec.socket.auth_type, spec.socket.auth_key) == (AuthType.AH, KEY)
    config = socket_config(spec.socket)
    assert (config.protocol, config.header_included) == (AH_PROTOCOL, True)
    plain = socket_config(golden_spec(tmp_path, "V2_PASS").socket)
    assert (plain.protocol, plain.header_included) == (112, False)
    # every instance's socket gets room for a burst (bench.fuzz: hostile packets)
    assert config.receive_buffer == plain.receive_buffer == 1 << 20


# ---------------------------------------------------------------------------- sending


@pytest.mark.parametrize(("golden_name", "instance"),
                         [("v2_ah", "V2_AH"), ("v2_ah_unicast", "V2_AH_UCAST")])
def test_first_advert_is_keepalived_s_frame_bit_for_bit(tmp_path: Path, golden_name: str,
                                                       instance: str) -> None:
    spec = golden_spec(tmp_path, instance)
    datagrams = advert_datagrams(spec.socket, master_advert(spec), AhState())
    destination = ip_address(golden(golden_name)["ip"]["destination"])
    assert datagrams == [(golden_packet(golden_name), destination)]


def test_each_advert_takes_the_next_sequence_and_ip_id(tmp_path: Path) -> None:
    spec = golden_spec(tmp_path, "V2_AH")
    ah = AhState()
    sent = [split_ipv4_packet(advert_datagrams(spec.socket, master_advert(spec), ah)[0][0])
            for _ in range(3)]
    assert [p.ident for p in sent] == [1, 2, 3]
    assert [int.from_bytes(p.payload[8:12], "big") for p in sent] == [1, 2, 3]


def test_ip_id_skips_zero_as_keepalived_does() -> None:
    ah = AhState(ip_id=0xFFFE)
    assert [ah.next_ip_id() for _ in range(3)] == [0xFFFF, 1, 2]


def test_unicast_copies_share_one_sequence_and_id(tmp_path: Path) -> None:
    text = golden("v2_ah")["node_config"].replace(
        "unicast_peer { 192.0.2.12 }", "unicast_peer { 192.0.2.12\n 192.0.2.13 }")
    spec = next(s for s in daemon_from(text, tmp_path).instances if s.name == "V2_AH_UCAST")
    ah = AhState(ip_id=40)
    ah.sequence.last = 7
    sent = advert_datagrams(spec.socket, master_advert(spec), ah)
    assert [str(d) for _, d in sent] == ["192.0.2.12", "192.0.2.13"]
    packets = [split_ipv4_packet(p) for p, _ in sent]
    assert {(p.ident, p.payload[8:12]) for p in packets} == {(41, (8).to_bytes(4, "big"))}
    assert packets[0].payload[12:24] != packets[1].payload[12:24]  # ICV covers the daddr


def test_executor_sends_the_whole_packet_and_resets_a_cycled_counter(tmp_path: Path) -> None:
    spec = golden_spec(tmp_path, "V2_AH")
    sent: list[bytes] = []

    class Sender:
        def send(self, payload: bytes, destination: object) -> bool:
            sent.append(payload)
            return True

    rec = Recorder()
    executor = Executor(FakeNetlink(rec), FakeNotifier(rec), FakeLog())
    ah = AhState()
    ah.sequence.last, ah.sequence.cycled = 0xFFFFFFFF, True
    io = InstanceIO(spec, Sender(), None, ah=ah)
    asyncio.run(executor.run(io, [StateChanged(State.BACKUP, State.MASTER, "test"),
                                  SendAdvert(master_advert(spec))]))
    assert sent == [golden_packet("v2_ah")]


# ---------------------------------------------------------------------------- receiving


def test_keepalived_s_advert_is_accepted_and_raises_the_counter(tmp_path: Path) -> None:
    spec = golden_spec(tmp_path, "V2_AH")
    ah = AhState()
    event, line = receive(spec, golden_datagram("v2_ah"), ah)
    assert line is None
    assert isinstance(event, AdvertReceived)
    assert (event.advert.vrid, event.advert.priority, event.advert.auth_type) == (
        63, 150, AuthType.AH)
    assert ah.sequence.last == 1


def test_unicast_golden_is_accepted(tmp_path: Path) -> None:
    spec = golden_spec(tmp_path, "V2_AH_UCAST")
    event, line = receive(spec, golden_datagram("v2_ah_unicast"), AhState())
    assert line is None
    assert isinstance(event, AdvertReceived)
    assert event.unicast


def test_replay_is_an_auth_failure_with_keepalived_s_line(tmp_path: Path) -> None:
    spec = golden_spec(tmp_path, "V2_AH")
    ah = AhState()
    receive(spec, golden_datagram("v2_ah"), ah)
    event, line = receive(spec, golden_datagram("v2_ah"), ah, state=State.MASTER)
    assert event == PacketDropped("auth")
    assert line is not None
    assert line.message == (
        "(V2_AH) IPSEC-AH : sequence number 1 already processed. Packet dropped. Local(1)")


def test_tampered_or_wrong_key_is_an_auth_failure(tmp_path: Path) -> None:
    spec = golden_spec(tmp_path, "V2_AH")
    good = golden_datagram("v2_ah")
    header = bytearray(good.ip_header)
    header[5] ^= 1  # the IP identification is covered by the ICV
    ah = AhState()
    event, line = receive(spec, replace(good, ip_header=bytes(header)), ah)
    assert event == PacketDropped("auth")
    assert line is not None
    assert line.message == (
        "(V2_AH) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad "
        "password !")
    assert ah.sequence.last == 0
    wrong = replace(spec, socket=replace(spec.socket, auth_key=b"other"))
    assert receive(wrong, golden_datagram("v2_ah"), AhState())[0] == PacketDropped("auth")


def test_plain_vrrp_on_an_ah_instance_is_a_mismatch(tmp_path: Path) -> None:
    spec = golden_spec(tmp_path, "V2_AH")
    data = golden("v2_ah")
    plain = Datagram(payload=bytes.fromhex(data["payload_hex"])[24:],
                     source=IPv4Address("192.0.2.11"), destination=IPv4Address("224.0.0.18"),
                     ttl=255, ifindex=2, protocol=112)
    assert receive(spec, plain, AhState())[0] == PacketDropped("auth_type_mismatch")


def test_fault_state_does_not_move_the_counter(tmp_path: Path) -> None:
    spec = golden_spec(tmp_path, "V2_AH")
    ah = AhState()
    event, _ = receive(spec, golden_datagram("v2_ah"), ah, state=State.FAULT)
    assert isinstance(event, AdvertReceived)
    assert ah.sequence.last == 0


def test_backup_clears_the_cycled_flag_on_an_accepted_advert(tmp_path: Path) -> None:
    spec = golden_spec(tmp_path, "V2_AH")
    ah = AhState()
    ah.sequence.cycled = True
    receive(spec, golden_datagram("v2_ah"), ah, state=State.BACKUP)
    assert not ah.sequence.cycled


# ---------------------------------------------------------------------------- master resync


def peer_datagram(spec: InstanceSpec, *, priority: int, sequence: int,
                  source: str = "192.0.2.12") -> Datagram:
    packet = split_ipv4_packet(build_ipv4_packet(
        master_advert(spec, priority), source=IPv4Address(source),
        destination=IPv4Address("224.0.0.18"), auth_key=KEY, ah_sequence=sequence, ip_id=9))
    return Datagram(payload=packet.payload, source=packet.source,
                    destination=packet.destination, ttl=255, ifindex=2, protocol=51,
                    ip_header=packet.header)


def test_master_syncs_to_a_lower_priority_sequence_plus_one(tmp_path: Path) -> None:
    spec = golden_spec(tmp_path, "V2_AH")
    ah = AhState()
    datagram = peer_datagram(spec, priority=100, sequence=41)
    event, _ = receive(spec, datagram, ah, state=State.MASTER)
    assert answers_lower_priority(spec, State.MASTER, 150, event)
    line = sync_from_lower_priority(spec, ah, datagram)
    assert line.message == "(V2_AH) IPSEC-AH : Syncing seq_num - Increment seq"
    answer = advert_datagrams(spec.socket, master_advert(spec), ah)[0][0]
    assert split_ipv4_packet(answer).payload[8:12] == (43).to_bytes(4, "big")


@pytest.mark.parametrize(("state", "priority", "source", "expected"), [
    (State.MASTER, 100, "192.0.2.12", True),
    (State.MASTER, 150, "192.0.2.10", True),   # equal priority, lower address
    (State.MASTER, 150, "192.0.2.12", False),  # equal priority, higher address: we yield
    (State.MASTER, 200, "192.0.2.12", False),
    (State.MASTER, 0, "192.0.2.12", False),
    (State.BACKUP, 100, "192.0.2.12", False),
])
def test_answers_lower_priority(tmp_path: Path, state: State, priority: int, source: str,
                                expected: bool) -> None:
    spec = golden_spec(tmp_path, "V2_AH")
    event = AdvertReceived(master_advert(spec, priority), IPv4Address(source))
    assert answers_lower_priority(spec, state, 150, event) is expected


def test_a_refused_advert_never_resyncs(tmp_path: Path) -> None:
    spec = golden_spec(tmp_path, "V2_AH")
    advert = Advertisement(version=2, vrid=63, priority=100, interval_cs=300,
                           addresses=spec.params.virtual_addresses, auth_type=AuthType.AH)
    event = AdvertReceived(advert, IPv4Address("192.0.2.12"))  # interval mismatch
    assert not answers_lower_priority(spec, State.MASTER, 150, event)


def test_ah_datagrams_are_dispatched_by_the_vrid_behind_the_ah_header() -> None:
    assert datagram_vrid(golden_datagram("v2_ah")) == 63
    short = replace(golden_datagram("v2_ah"), payload=bytes(20))
    assert datagram_vrid(short) is None
