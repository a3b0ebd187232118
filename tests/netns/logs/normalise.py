"""Reduce a keepalived-style console log to the operator lines worth comparing.

Operators grep keepalived's logs for a small, stable set of lines (reference §1.13).
Everything else (banners, sockpool dumps, command lines, rusage numbers, security nags)
differs between implementations for reasons nobody greps for, so it is dropped here
rather than allowed for in the test. What remains is rewritten to be run-independent:
no timestamp, no version, host addresses replaced by the node names that own them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

#: `keepalived -l` prefixes every line with ctime(3) and a colon.
TIMESTAMP = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}: ")

#: The operator lines (after the timestamp), each anchored at the start of the text.
OPERATOR_LINES: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in (
    r"\(\S+\) Entering (BACKUP|MASTER|FAULT) STATE( \(init\))?$",
    r"\(\S+\) Receive advertisement timeout$",
    r"\(\S+\) (setting|removing) VIPs\.$",
    r"\(\S+\) Sending/queueing gratuitous ARPs on \S+ for \S+$",
    r"Sending gratuitous ARP on \S+ for \S+$",
    r"\(\S+\) Master received advert from \S+ with (higher|same) priority",
    r"\(\S+\) received lower priority \(\d+\) advert from \S+ - discarding$",
    r"\(\S+\) Received advert from \S+ with lower priority \d+, ours \d+, forcing",
    r"\(\S+\) Backup received priority 0 advertisement$",
    r"\(\S+\) sent 0 priority$",
    r"\(\S+\): entering FAULT state",
    r"VRRP_Script\(\S+\) (succeeded|failed|considered successful on reload)",
    r"Script `\S+` now returning \d+$",
    r"\(\S+\) Changing effective priority from \d+ to \d+$",
    r"Netlink reports \S+ (up|down)$",
    r"Stopping$",
    r"Stopped( - used .*)?$",
    r"Stopped Keepalived ",
    r"Reloading( \.\.\.)?$",
    r"Reload complete$",
))

#: Run-dependent tails rewritten to a fixed token: (pattern, replacement).
REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Stopped Keepalived .*$"), "Stopped Keepalived <version>"),
    (re.compile(r"^Stopped - used .*$"), "Stopped - used <rusage>"),
)

#: Repeated back to back, only the first of these counts: how many adverts arrive
#: within one Master_Down_Interval depends on the phase of the peer's advert timer.
RUN_COLLAPSED = re.compile(r"\(\S+\) received lower priority \(\d+\) advert from .* discarding$")


@dataclass(frozen=True, slots=True)
class KnownGap:
    """A line keepalived prints that pykeepalived does not yet; the reason names the fix.

    With `before`, only the occurrences ahead of the first `before` line are the gap
    (a line missing at startup but printed correctly later).
    """

    line: str
    reason: str
    before: str = ""


def operator_lines(log: str, names: Mapping[str, str]) -> list[str]:
    """The operator lines of a console log, normalised; `names` maps address -> node name."""
    kept: list[str] = []
    for raw in log.splitlines():
        text = TIMESTAMP.sub("", raw, count=1)
        if not any(pattern.match(text) for pattern in OPERATOR_LINES):
            continue
        line = _rewrite(text, names)
        if kept and line == kept[-1] and RUN_COLLAPSED.match(line):
            continue
        kept.append(line)
    return kept


def _rewrite(text: str, names: Mapping[str, str]) -> str:
    for pattern, replacement in REWRITES:
        text = pattern.sub(replacement, text)
    for address, name in names.items():
        text = re.sub(rf"(?<![\d.]){re.escape(address)}(?![\d.])", f"<{name}>", text)
    return text


def without_gaps(lines: Sequence[str], gaps: Iterable[KnownGap]) -> list[str]:
    """The lines with each known gap's occurrences (all, or those before its anchor) removed."""
    kept = list(lines)
    for gap in gaps:
        end = kept.index(gap.before) if gap.before in kept else len(kept)
        kept = [line for i, line in enumerate(kept) if line != gap.line or i >= end]
    return kept


def side_by_side(left: Sequence[str], right: Sequence[str], width: int = 72) -> str:
    """Two sequences aligned by difflib, `≠` on rows that differ, for a readable failure."""
    rows = [f"  {'keepalived 2.2.7':<{width}} | pykeepalived"]
    matcher = difflib.SequenceMatcher(a=list(left), b=list(right), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        lhs, rhs = list(left[i1:i2]), list(right[j1:j2])
        for index in range(max(len(lhs), len(rhs))):
            a = lhs[index] if index < len(lhs) else ""
            b = rhs[index] if index < len(rhs) else ""
            rows.append(f"{'  ' if tag == 'equal' else '≠ '}{a:<{width}} | {b}")
    return "\n".join(rows)
