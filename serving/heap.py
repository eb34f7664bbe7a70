"""Keep the garbage collector's full passes off the request path.

A serving worker holds about 340k long-lived objects (MLflow, pandas, BentoML, the models).
One full collection walks all of them: 200-280 ms on a 2-core machine, landing on whichever
request happens to trigger it. That was most of the served p99. :func:`settle` moves what is
alive once start-up (or a model swap) is done into the permanent generation with
``gc.freeze()``, so later collections only walk what requests allocate. Objects freed by
reference counting still go at once; only reference cycles among frozen objects would stay,
so a swap unfreezes and collects once first (one slow pass per deploy, not per few seconds).
"""

from __future__ import annotations

import gc


def settle(*, after_swap: bool = False) -> int:
    """Collect once, then freeze what is alive; returns the number of frozen objects."""
    if after_swap:
        gc.unfreeze()  # let the replaced model's cycles be found by the collection below
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
