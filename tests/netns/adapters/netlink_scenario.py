"""Run a netlink scenario against a lab host: our Netlink opened inside its namespace."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pykeepalived.adapters.netlink import Netlink

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from netlab.lab import Host


def run(host: Host, body: Callable[[Netlink], Coroutine[Any, Any, None]]) -> None:
    async def scenario() -> None:
        async with asyncio.timeout(20):
            async with await Netlink.open(netns=host.namespace) as netlink:
                await body(netlink)

    asyncio.run(scenario())
