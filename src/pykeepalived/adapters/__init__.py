"""Thin asyncio adapters: raw sockets, netlink, subprocesses. All I/O lives here.

pyroute2 is registered lean before any adapter imports it (pyroute2_lean.py).
"""

from pykeepalived.adapters import pyroute2_lean

pyroute2_lean.install()
