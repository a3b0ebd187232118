"""Verdicts of the tests run inside the VM, read back from the inner pytest's JUnit XML.

JUnit XML is the one result format pytest writes by itself, so the inner run needs no
plugin of ours. It names a test by (classname, name), derived from its node id; the host
derives the same pair from its own node id to find the verdict (`junit_key`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["passed", "failed", "skipped", "xfailed"]
JunitKey = tuple[str, str]

# How bad each outcome is: when one test has several <testcase> entries (a failed call
# and then a teardown error are written separately), the worst one stands.
_RANK: dict[Outcome, int] = {"passed": 0, "xfailed": 1, "skipped": 2, "failed": 3}


@dataclass(frozen=True)
class Verdict:
    """One inner test's outcome, its one-line message and its traceback or details."""

    outcome: Outcome
    message: str = ""
    details: str = ""
    #: what the test printed (the inner run keeps it for passing tests too)
    output: str = ""
    #: its setup, call and teardown, as the inner run timed them (not part of equality)
    seconds: float = field(default=0.0, compare=False)

    def merge(self, other: Verdict) -> Verdict:
        """The worse of two entries for the same test, keeping both texts if both failed."""
        worse_first = _RANK[self.outcome] >= _RANK[other.outcome]
        worst, best = (self, other) if worse_first else (other, self)
        output = "\n".join(text for text in (self.output, other.output) if text)
        seconds = self.seconds + other.seconds
        if worst.outcome == best.outcome == "failed":
            return Verdict("failed", worst.message, f"{worst.details}\n\n{best.details}",
                           output, seconds)
        return Verdict(worst.outcome, worst.message, worst.details, output, seconds)


def junit_key(nodeid: str) -> JunitKey:
    """(classname, name) as pytest's junitxml writes them for `nodeid` (no prefix).

    `tests/ipvs/test_x.py::TestA::test_b[p]` -> ("tests.ipvs.test_x.TestA", "test_b[p]").
    """
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


def _verdict(case: ET.Element) -> Verdict:
    output = re.sub(r"\A-+ Captured Out -+\n", "", case.findtext("system-out") or "")
    seconds = float(case.get("time", "0") or 0)
    for tag in ("failure", "error"):
        element = case.find(tag)
        if element is not None:
            return Verdict("failed", element.get("message", tag), element.text or "", output,
                           seconds)
    skipped = case.find("skipped")
    if skipped is None:
        return Verdict("passed", output=output, seconds=seconds)
    outcome: Outcome = "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"
    return Verdict(outcome, skipped.get("message", ""), skipped.text or "", output, seconds)


def read_verdicts(xml_text: str) -> dict[JunitKey, Verdict]:
    """Every test case's verdict in a JUnit XML report, keyed as `junit_key` keys them."""
    verdicts: dict[JunitKey, Verdict] = {}
    for case in ET.fromstring(xml_text).iter("testcase"):
        key = (case.get("classname", ""), case.get("name", ""))
        verdict = _verdict(case)
        verdicts[key] = verdicts[key].merge(verdict) if key in verdicts else verdict
    return verdicts
