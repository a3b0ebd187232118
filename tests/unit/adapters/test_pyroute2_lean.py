"""pyroute2 without its package __init__: lean for the daemon, whole for whoever asks.

Each check runs in a fresh interpreter: whether pyroute2's __init__ ran is a property
of a process's first imports.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
{first}
import pykeepalived.adapters.ipvs, pykeepalived.adapters.ipvs_wire
lean = "pyroute2.ndb.main" not in sys.modules and "pyroute2.ipdb" not in sys.modules
from pyroute2 import IPRoute, IPVS
import pyroute2
print(json.dumps({{"lean": lean, "whole": "pyroute2.ndb.main" in sys.modules,
                  "version": pyroute2.__version__, "iproute": IPRoute.__name__,
                  "ipvs": IPVS.__name__}}))
"""


def probe(first: str = "") -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(first=first)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_adapters_import_pyroute2_without_its_whole_api() -> None:
    result = probe()
    assert result["lean"] is True


def test_the_first_use_of_the_package_itself_runs_its_init() -> None:
    result = probe()
    assert result["whole"] is True
    assert result["iproute"] == "IPRoute"
    assert result["ipvs"] == "IPVS"
    assert str(result["version"]).startswith("0.9")


@pytest.mark.parametrize("first", ["import pyroute2", "from pyroute2 import IPRoute"])
def test_pyroute2_imported_before_us_is_left_as_it_is(first: str) -> None:
    result = probe(first)
    assert result["lean"] is False
    assert result["iproute"] == "IPRoute"
