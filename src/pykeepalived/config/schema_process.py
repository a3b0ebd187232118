"""global_defs: how each process is scheduled (`vrrp_*` and `checker_*` priorities).

`vrrp_rt_priority` is what a keepalived user sets so that adverts at 10 ms leave on
time on a busy host; ignoring it would make the same file behave differently here.
Values, bounds, defaults and wording follow keepalived 2.2.7 (core/global_parser.c:
get_priority, get_realtime_priority, get_cpu_affinity, get_rt_rlimit), including its
fallbacks: an invalid nice value becomes 0, an invalid rlimit 0 (no limit set), an
out-of-range realtime priority is clamped, one bad CPU id empties the whole set.
`bfd_*` stays recognised only: there is no BFD process.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from pykeepalived.config import values
from pykeepalived.config.schema import arg
from pykeepalived.constants import INT_MAX, UINT_MAX

if TYPE_CHECKING:
    from pykeepalived.config.schema import Ctx, Fields, Handler, NodeLike

#: sched_get_priority_min/max(SCHED_RR) on Linux
RT_PRIORITY_MIN, RT_PRIORITY_MAX = 1, 99
#: keepalived's RT_RLIMIT_DEFAULT (lib/process.h), microseconds
RT_RLIMIT_DEFAULT = 10000
#: the default of min_auto_priority_delay (global_data.c): one second, in microseconds
MIN_AUTO_PRIORITY_DELAY_DEFAULT = 1_000_000
_INT_MIN = -INT_MAX - 1


def _nice(process: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        name = f"{process}_process_priority"
        if not node.args:
            ctx.error(f"No {process} process priority specified", node.location)
            fields[name] = 0
            return
        value = values.read_int(node.args[0], -20, 19, ctx.reporter(node.location))
        if value is None:
            ctx.error(f"Invalid {process} process priority specified", node.location)
            value = 0
        fields[name] = value

    return handle


def _realtime(process: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        if not node.args:
            ctx.error(f"No {process} process real-time priority specified", node.location)
            return
        text = node.args[0]
        value = values.read_int(text, _INT_MIN, INT_MAX, ctx.reporter(node.location))
        if value is None:
            ctx.error(f"{process} process real-time priority '{text}' invalid", node.location)
            return
        if value < RT_PRIORITY_MIN:
            ctx.error(f"{process} process real-time priority {value} less than minimum "
                      f"{RT_PRIORITY_MIN} - setting to minimum", node.location)
            value = RT_PRIORITY_MIN
        elif value > RT_PRIORITY_MAX:
            ctx.error(f"{process} process real-time priority {value} greater than maximum "
                      f"{RT_PRIORITY_MAX} - setting to maximum", node.location)
            value = RT_PRIORITY_MAX
        fields[f"{process}_realtime_priority"] = value

    return handle


def _affinity(process: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        name = f"{process}_cpu_affinity"
        if not node.args:
            ctx.error(f"No {process} cpu_id set specified", node.location)
            return
        top = (ctx.cpus or INT_MAX + 1) - 1
        cpus: set[int] = set()
        last = 0
        for text in node.args:
            cpu = values.read_int(text, 0, top, ctx.reporter(node.location))
            if cpu is None:
                # keepalived prints its variable: the number read even when out of
                # range, else what the previous word left in it
                with contextlib.suppress(ValueError):
                    last = int(text)
                ctx.error(f"Invalid cpu_id:{last} specified for {process} process",
                          node.location)
                fields[name] = ()
                return
            cpus.add(cpu)
            last = cpu
        fields[name] = tuple(sorted(cpus))

    return handle


def _rlimit(process: str) -> Handler:
    """`*_rlimit_rtime` is the deprecated spelling; keepalived only logs that (no config
    error, so `-t` stays quiet on it), and so do we: not at all."""

    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        text = arg(ctx, node)  # keepalived reads the word unchecked: a missing one aborts
        limit = values.read_unsigned(text, 1, UINT_MAX, ctx.reporter(node.location))
        if limit is None:
            ctx.error(f"Invalid {process} real-time limit - {text}", node.location)
            limit = 0
        # halved for the soft limit, which must not be 0
        fields[f"{process}_rlimit_rt"] = 2 if limit == 1 else limit

    return handle


def _no_swap(process: str) -> Handler:
    def handle(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
        fields[f"{process}_no_swap"] = True

    return handle


def _min_auto_priority_delay(ctx: Ctx, node: NodeLike, fields: Fields) -> None:
    if not node.args:
        ctx.error("min_auto_priority_delay requires delay time", node.location)
        return
    value = values.read_int(node.args[0], 1, 10_000_000, ctx.reporter(node.location))
    if value is None:
        ctx.error(f"min_auto_priority_delay '{node.args[0]}' must be in [1, 10000000]"
                  " - ignoring", node.location)
        return
    fields["min_auto_priority_delay"] = value


def _process_keywords(process: str) -> dict[str, Handler]:
    return {
        f"{process}_priority": _nice(process),
        f"{process}_no_swap": _no_swap(process),
        f"{process}_rt_priority": _realtime(process),
        f"{process}_cpu_affinity": _affinity(process),
        f"{process}_rlimit_rttime": _rlimit(process),
        f"{process}_rlimit_rtime": _rlimit(process),
    }


PROCESS_GLOBALS: dict[str, Handler] = {
    **_process_keywords("vrrp"),
    **_process_keywords("checker"),
    "min_auto_priority_delay": _min_auto_priority_delay,
}
