"""Keeping the cyclic garbage collector from pausing the event loop.

After start-up (and after each reload) the configuration, the specs and the cores live
as long as the daemon. Python's full collections, triggered every few seconds by
allocation counts, still scan all of them: with 200 instances that is ~61,000 objects
and a 15-58 ms pause (bench/checkers.py, profiled), long enough to make every advert
due in that moment late. `gc.freeze()` moves what exists now out of the collector's
scans; a freeze after a collection keeps no garbage alive. Frozen objects are never
collected, so each freeze first unfreezes: what a reload replaced (the old
configuration, specs and cores), if caught in a reference cycle, is then freed by this
collection instead of staying in the frozen generation for the daemon's life.
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    gc.unfreeze()
    gc.collect()
    gc.freeze()
