"""freeze_long_lived: what exists at start-up leaves the collector's scans, garbage does not."""

from __future__ import annotations

import gc

from pykeepalived.daemon.heap import freeze_long_lived


def test_freeze_keeps_long_lived_objects_out_of_collections() -> None:
    kept = [object() for _ in range(1000)]
    try:
        freeze_long_lived()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
