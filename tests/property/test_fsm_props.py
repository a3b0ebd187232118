"""Properties of the instance state machine under arbitrary event sequences.

For any sequence of events with non-decreasing `now`: nothing raises, the state is one of
the four, `next_deadline()` is never in the past, and the VIPs are on the interface exactly
while the instance is MASTER (a model built only from AddVips/RemoveVips actions).
"""

from __future__ import annotations

from ipaddress import IPv4Address

from hypothesis import given
from hypothesis import strategies as st

from pykeepalived.vrrp.actions import Action, AddVips, RemoveVips, SendAdvert, StateChanged
from pykeepalived.vrrp.advert import Advertisement, AuthType
from pykeepalived.vrrp.events import (
    AdvertReceived,
    Event,
    FaultChanged,
    PacketDropped,
    PriorityChanged,
    Shutdown,
    Startup,
    Timeout,
)
from pykeepalived.vrrp.instance import State, VrrpInstance
from pykeepalived.vrrp.params import GarpParams, InstanceParams, UnicastPeer

VIPS = [IPv4Address("192.0.2.100"), IPv4Address("192.0.2.101")]
SOURCES = [IPv4Address(f"192.0.2.{n}") for n in (10, 11, 12)]

adverts = st.builds(
    Advertisement,
    version=st.sampled_from([2, 3]),
    vrid=st.sampled_from([51, 52]),
    priority=st.integers(0, 255),
    interval_cs=st.sampled_from([1, 50, 100, 200, 4095]),
    addresses=st.lists(st.sampled_from(VIPS), max_size=3).map(tuple),
    auth_type=st.sampled_from(list(AuthType)),
    auth_data=st.sampled_from([b"", b"secret\0\0", b"other\0\0\0"]),
)
events: st.SearchStrategy[Event] = st.one_of(
    st.builds(AdvertReceived, advert=adverts, source=st.sampled_from(SOURCES),
              ttl=st.sampled_from([None, 1, 254, 255]), unicast=st.booleans()),
    st.just(Timeout()),
    st.just(Timeout()),
    st.just(Startup()),
    st.just(Shutdown()),
    st.builds(PriorityChanged, effective=st.integers(-300, 300), reason=st.just("track")),
    st.builds(FaultChanged, faulted=st.booleans(), reason=st.just("link")),
    st.builds(PacketDropped, reason=st.sampled_from(["length", "checksum", "junk"])),
)
params_strategy = st.builds(
    InstanceParams,
    name=st.just("VI_1"),
    vrid=st.just(51),
    version=st.just(3) | st.just(2),
    priority=st.sampled_from([1, 100, 150, 254, 255]),
    advert_int_cs=st.sampled_from([100, 200]),
    virtual_addresses=st.just((VIPS[0],)),
    primary_address=st.sampled_from([None, SOURCES[1]]),
    preempt=st.booleans(),
    preempt_delay=st.sampled_from([0.0, 2.0]),
    auth_type=st.sampled_from([AuthType.NONE, AuthType.PASS]),
    auth_data=st.just(b"secret"),
    unicast_peers=st.sampled_from([(), (UnicastPeer(SOURCES[0]),)]),
    check_unicast_src=st.booleans(),
    skip_check_adv_addr=st.booleans(),
    lower_prio_no_advert=st.booleans(),
    higher_prio_send_advert=st.booleans(),
    down_timer_adverts=st.sampled_from([1, 3]),
    garp=st.sampled_from([GarpParams(), GarpParams(master_refresh=1.5, master_delay=0)]),
    initial_state=st.sampled_from([None, State.MASTER, State.BACKUP]),
    owner_immediate_master=st.booleans(),
)
# time steps: zero, small, or "jump to the next deadline" (None)
steps = st.one_of(st.none(), st.floats(0.0, 5.0, allow_nan=False))


def apply(inst: VrrpInstance, event: Event, now: float, vips_present: bool) -> bool:
    actions = inst.handle(event, now=now)
    for action in actions:
        if isinstance(action, AddVips):
            assert not vips_present, "VIPs added twice"
            vips_present = True
        elif isinstance(action, RemoveVips):
            assert vips_present, "VIPs removed while absent"
            vips_present = False
    check_transitions(inst, actions)
    return vips_present


def check_transitions(inst: VrrpInstance, actions: list[Action]) -> None:
    for action in actions:
        if isinstance(action, StateChanged):
            assert action.reason, "every transition says why"
            assert action.old is not action.new
        if isinstance(action, SendAdvert):
            assert action.advert.vrid == inst.params.vrid


@given(params=params_strategy, script=st.lists(st.tuples(steps, events), max_size=60))
def test_any_event_sequence_keeps_the_invariants(
    params: InstanceParams, script: list[tuple[float | None, Event]]
):
    inst = VrrpInstance(params)
    now, vips_present, packets = 0.0, False, 0
    for step, event in script:
        deadline = inst.next_deadline()
        if step is None and deadline is not None:
            now, event = max(now, deadline), Timeout()
        elif step is not None:
            now += step
        vips_present = apply(inst, event, now, vips_present)
        packets += isinstance(event, AdvertReceived | PacketDropped)
        # every packet counted once, in every state: accepted, or dropped by reason
        assert inst.stats.rx_accepted + inst.stats.rx_dropped.total() == packets
        assert inst.state in set(State)
        assert vips_present == (inst.state is State.MASTER)
        deadline = inst.next_deadline()
        assert deadline is None or deadline >= now
        assert 1 <= inst.effective_priority <= 255
        if inst.state in (State.INIT, State.FAULT):
            assert deadline is None or inst.state is State.FAULT


@given(params=params_strategy)
def test_an_isolated_backup_becomes_master_exactly_at_its_deadline(params: InstanceParams):
    inst = VrrpInstance(params)
    inst.handle(Startup(), now=0.0)
    if inst.state is State.BACKUP:
        deadline = inst.next_deadline()
        assert deadline is not None
        assert inst.handle(Timeout(), now=deadline - 1e-9) == []
        inst.handle(Timeout(), now=deadline)
    assert inst.state is State.MASTER
