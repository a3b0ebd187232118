"""What /proc says about a process or the machine: CPU ticks, memory, parent, host load.

Shared by the benchmarks; each reads a daemon's cost from the kernel's own accounting,
so nothing is timed by us and our own scheduling does not enter the figures.
"""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name (which may hold spaces and parentheses)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_ticks(pid: int) -> int:
    """utime + stime of the process (all its threads) and cutime + cstime, what its
    children cost once waited for (pykeepalived's configuration reader, notify and
    check scripts), in clock ticks: work a daemon hands to a child still counts."""
    fields = _stat_fields(pid)
    return sum(int(fields[k]) for k in (11, 12, 13, 14))


def memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def parent_of(pid: int) -> int:
    return int(_stat_fields(pid)[1])


def host_ticks() -> tuple[int, int, int]:
    """The whole machine's CPU ticks from /proc/stat: (busy, steal, total)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = values[:8]
    total = user + nice + system + idle + iowait + irq + softirq + steal
    return total - idle - iowait, steal, total
