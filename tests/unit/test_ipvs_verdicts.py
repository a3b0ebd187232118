"""The host's reading of the VM's JUnit XML (tests/ipvs/verdicts.py), without a VM.

The XML below is what pytest 9's junitxml writes for each outcome; a wrong mapping here
would turn an inner failure into a host pass, so each outcome is pinned.
"""

from __future__ import annotations

import pytest

from tests.ipvs.verdicts import Verdict, junit_key, read_verdicts

XML = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">
<testsuite name="pytest" errors="1" failures="1" skipped="2" tests="6">
<testcase classname="tests.ipvs.test_x" name="test_pass" time="0.1" />
<testcase classname="tests.ipvs.test_x" name="test_fail[a/b::c]" time="0.1">
<failure message="AssertionError: no">def test_fail(): ...</failure></testcase>
<testcase classname="tests.ipvs.test_x" name="test_skip" time="0.1">
<skipped type="pytest.skip" message="no ipvsadm">tests/ipvs/test_x.py:9: no ipvsadm</skipped>
</testcase>
<testcase classname="tests.ipvs.test_x.TestA" name="test_xfail" time="0.1">
<skipped type="pytest.xfail" message="known" /></testcase>
<testcase classname="tests.ipvs.test_x" name="test_teardown" time="0.1">
<failure message="AssertionError: call">call text</failure></testcase>
<testcase classname="tests.ipvs.test_x" name="test_teardown" time="0.1">
<error message="failed on teardown with &quot;RuntimeError: td&quot;">td text</error></testcase>
</testsuite></testsuites>"""


@pytest.mark.parametrize(
    ("nodeid", "key"),
    [
        ("tests/ipvs/test_x.py::test_pass", ("tests.ipvs.test_x", "test_pass")),
        ("tests/ipvs/test_x.py::TestA::test_xfail", ("tests.ipvs.test_x.TestA", "test_xfail")),
        ("tests/ipvs/test_x.py::test_fail[a/b::c]", ("tests.ipvs.test_x", "test_fail[a/b::c]")),
    ],
)
def test_junit_key_matches_pytest_naming(nodeid: str, key: tuple[str, str]) -> None:
    assert junit_key(nodeid) == key


def test_every_outcome_is_read() -> None:
    verdicts = read_verdicts(XML)
    assert verdicts[junit_key("tests/ipvs/test_x.py::test_pass")] == Verdict("passed")
    assert verdicts[junit_key("tests/ipvs/test_x.py::test_fail[a/b::c]")] == Verdict(
        "failed", "AssertionError: no", "def test_fail(): ..."
    )
    skipped = verdicts[junit_key("tests/ipvs/test_x.py::test_skip")]
    assert (skipped.outcome, skipped.message) == ("skipped", "no ipvsadm")
    xfailed = verdicts[junit_key("tests/ipvs/test_x.py::TestA::test_xfail")]
    assert (xfailed.outcome, xfailed.message) == ("xfailed", "known")


def test_a_failure_and_a_teardown_error_are_both_kept() -> None:
    verdict = read_verdicts(XML)[junit_key("tests/ipvs/test_x.py::test_teardown")]
    assert verdict.outcome == "failed"
    assert "call text" in verdict.details
    assert "td text" in verdict.details


def test_a_later_pass_does_not_hide_a_failure() -> None:
    failed = Verdict("failed", "boom")
    assert failed.merge(Verdict("passed")) == failed
    assert Verdict("passed").merge(failed) == failed
    assert Verdict("skipped", "x").merge(Verdict("passed")).outcome == "skipped"


def test_what_a_test_printed_is_kept() -> None:
    """`-o junit_logging=system-out`: a passing test's output comes back to the host."""
    out = "------- Captured Out -------\ntable\n"  # pytest's header goes
    xml = XML.replace('name="test_pass" time="0.1" />',
                      f'name="test_pass" time="0.1"><system-out>{out}</system-out></testcase>')
    verdict = read_verdicts(xml)[junit_key("tests/ipvs/test_x.py::test_pass")]
    assert verdict == Verdict("passed", output="table\n")


def test_times_add_up_per_test() -> None:
    """A test's entries (call, then teardown error) add their times for the summary."""
    verdict = read_verdicts(XML)[junit_key("tests/ipvs/test_x.py::test_teardown")]
    assert verdict.seconds == 0.2
