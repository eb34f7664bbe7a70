"""serving.heap: start-up objects leave the GC's passes; a swap lets old cycles go."""

from __future__ import annotations

import gc
import weakref

from serving.heap import settle


class _Node:
    pass


def _cycle() -> weakref.ref:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_settle_freezes_what_is_alive():
    try:
        alive = [_Node() for _ in range(100)]
        frozen = settle()
        assert frozen >= len(alive)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_a_swap_collects_cycles_that_were_frozen():
    try:
        old_model = _cycle()
        gc.freeze()  # as after start-up: the old model's cycle is frozen
        gc.collect()
        assert old_model() is not None  # a frozen cycle is never collected...
        settle(after_swap=True)
        assert old_model() is None  # ...until a swap unfreezes and collects once
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
