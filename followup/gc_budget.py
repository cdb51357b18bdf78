"""Fewer garbage collections while a sync allocates its records, or a run its state.

A first sync creates millions of small objects that all live until their batch is
stored, so CPython's default young-generation threshold (700 allocations) runs a
collection every few hundred of them for nothing: about a tenth of the sync's CPU.
Raising it for the duration keeps the same collections, just less often. A run after
new mail at 100k messages (runner.run_once: the sync, the plan's state) spent 0.40 s of
its 3 s in collections by default, 0.11 s with it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Young-generation allocations between collections during a sync (default 700).
SYNC_THRESHOLD = 20_000


@contextmanager
def fewer_collections(threshold: int = SYNC_THRESHOLD) -> Iterator[None]:
    """Raise the young-generation GC threshold to ``threshold`` inside the block;
    the previous thresholds are restored however it ends."""
    saved = gc.get_threshold()
    gc.set_threshold(max(threshold, saved[0]), *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)
