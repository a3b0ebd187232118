"""The `lan` fixture: two hosts on a bridge, torn down whatever the test did."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.netns.adapters.netlab import Lan, build_lan, delete_namespaces

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def lan() -> Iterator[Lan]:
    created: list[str] = []
    try:
        yield build_lan(created)
    finally:
        delete_namespaces(created)
