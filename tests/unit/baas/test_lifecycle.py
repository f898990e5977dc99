"""settle_heap: the end of a process's start-up, as far as the garbage collector goes."""

from __future__ import annotations

import gc

from baas.lifecycle import settle_heap


def test_settling_freezes_the_start_up_heap_and_turns_the_collector_back_on() -> None:
    gc.disable()  # as `baas serve` and `baas worker` start
    try:
        settle_heap()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()
