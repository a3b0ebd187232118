"""freeze_long_lived: what exists at start-up leaves the collector's scans, garbage does not."""

from __future__ import annotations

import gc
import weakref

from pykeepalived.daemon.heap import freeze_long_lived


def test_freeze_keeps_long_lived_objects_out_of_collections() -> None:
    kept = [object() for _ in range(1000)]
    try:
        freeze_long_lived()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()


class _Node:
    """A reference cycle, as a replaced configuration's objects may form."""

    def __init__(self) -> None:
        self.me = self


def test_a_cycle_frozen_before_and_dropped_since_is_collected_at_the_next_freeze() -> None:


    node = _Node()
    alive = weakref.ref(node)
    try:
        freeze_long_lived()  # start-up: the node is frozen
        del node  # a reload replaced it; only its own cycle holds it now
        freeze_long_lived()  # after the reload
        assert alive() is None
    finally:
        gc.unfreeze()
