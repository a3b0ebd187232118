"""pyroute2's modules without its package `__init__`, which imports its whole API.

`import pyroute2.iproute.linux` first runs `pyroute2/__init__.py`, and that imports
everything pyroute2 offers (IPDB, NDB with sqlite, conntrack, nftables, nl80211,
wireguard, devlink, plan9, ...) to re-export it: about 6 MiB of memory and 50 ms of CPU
in every daemon process, for modules the daemon never uses. `install()` registers the
package without running its `__init__`, so importing a submodule loads that submodule
and what it needs. The first access to an attribute of the package itself
(`from pyroute2 import IPRoute` anywhere, a test's for instance) runs the real
`__init__` then, so nothing that expects the whole package can tell the difference.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

PACKAGE = "pyroute2"


class _LeanPackage(types.ModuleType):
    """The package module; its `__init__` runs on the first attribute it lacks."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if importlib.util.find_spec(f"{PACKAGE}.{name}") is not None:
            # `from pyroute2 import config` in pyroute2's own modules: a submodule
            return importlib.import_module(f"{PACKAGE}.{name}")
        spec = self.__spec__
        if spec is None or spec.loader is None:
            raise AttributeError(name)
        # once: back to a plain module, and the real __init__ fills the namespace
        object.__setattr__(self, "__class__", types.ModuleType)
        spec.loader.exec_module(self)
        return getattr(self, name)


def install() -> bool:
    """Register the lean package unless pyroute2 is imported already; True if done."""
    if PACKAGE in sys.modules:
        return False
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        return False
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _LeanPackage
    sys.modules[PACKAGE] = module
    return True
