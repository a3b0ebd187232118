"""The check core's IPVS commands always describe a table the kernel would accept.

Replaying every AddDest/EditDest/DelDest the core emits over any sequence of probe
results, the table never gets a destination twice, never loses one it does not have and
never edits a missing one; it always holds exactly the servers the core says are `set`;
and without a sorry server the servers carrying traffic are exactly the alive ones.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pykeepalived.check.actions import AddDest, DelDest, EditDest
from pykeepalived.check.results import ProbeResult
from pykeepalived.check.servers import real_weight
from tests.unit.check.servers import misc, real, started, tcp, virtual

Table = dict[int, int]  # dest port -> weight


def replay(table: Table, actions: list[Any]) -> None:
    for action in actions:
        if isinstance(action, AddDest):
            assert action.dest.port not in table, f"double add {action}"
            table[action.dest.port] = action.dest.weight
        elif isinstance(action, EditDest):
            assert action.dest.port in table, f"edit of a missing dest {action}"
            table[action.dest.port] = action.dest.weight
        elif isinstance(action, DelDest):
            assert table.pop(action.dest.port, None) is not None, f"delete of missing {action}"


servers = st.lists(st.tuples(st.integers(1, 3), st.booleans(), st.booleans(), st.booleans()),
                   min_size=1, max_size=4)
results = st.lists(st.tuples(st.integers(0, 3), st.sampled_from([0, 1, 2, 12])),
                   max_size=40)


@settings(max_examples=200)
@given(servers=servers, results=results, quorum=st.integers(1, 4),
       hysteresis=st.integers(0, 2), with_sorry=st.booleans(), sorry_inhibit=st.booleans())
def test_ipvs_table_stays_consistent(servers: list[tuple[int, bool, bool, bool]],
                                     results: list[tuple[int, int]], quorum: int,
                                     hysteresis: int, with_sorry: bool,
                                     sorry_inhibit: bool) -> None:
    specs = [real(8000 + i, misc(dynamic=True, alpha=alpha) if dynamic else
                  tcp(8000 + i, alpha=alpha), weight=weight, inhibit_on_failure=inhibit)
             for i, (weight, inhibit, alpha, dynamic) in enumerate(servers)]
    spec = virtual(*specs, quorum=quorum, hysteresis=min(hysteresis, quorum - 1),
                   sorry_server=real(9999) if with_sorry else None,
                   sorry_server_inhibit=sorry_inhibit and with_sorry)
    core, out = started(spec)
    table: Table = {}
    replay(table, out)
    now = 1.0
    for index, status in results:
        checker = index % len(core.checkers)
        core.due(now)
        ok = status in (0, 12) if core.checkers[checker].kind.name == "MISC" else status == 0
        result = ProbeResult(ok, "timeout", exit_status=status)
        replay(table, core.probe_done(checker, result, now))
        now += 3.0
        present = {rs.spec.port for rs in core.servers if rs.set}
        if core.sorry is not None and core.sorry.set:
            present.add(9999)
        assert set(table) == present
        if core.sorry is None:
            carrying = {port for port, weight in table.items() if weight > 0}
            assert carrying == {rs.spec.port for rs in core.servers
                                if rs.alive and real_weight(rs.effective) > 0}
    replay(table, core.stop())
    assert table == {}
