"""Thin asyncio adapters: raw sockets, netlink, subprocesses. All I/O lives here."""
