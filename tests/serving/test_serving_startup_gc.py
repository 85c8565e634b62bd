"""Garbage collection at server start: paused while the model loads, then the survivors frozen
and collection back on, in the server and in its forked offload process (server.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from workbench.serving import offload
from workbench.serving.http import Served
from workbench.serving.server import _gc_paused_then_frozen


@pytest.fixture
def gc_restored() -> Iterator[None]:
    """This test process's collector as it was: on, nothing frozen."""
    was = gc.isenabled()
    yield
    gc.unfreeze()
    if was:
        gc.enable()
    else:  # pragma: no cover - pytest runs with the collector on
        gc.disable()


def test_collection_is_paused_while_loading_then_on_with_the_survivors_frozen(
    gc_restored: None,
) -> None:
    gc.unfreeze()
    gc.enable()
    with _gc_paused_then_frozen():
        assert not gc.isenabled()
        loaded = [[i] for i in range(1000)]  # tracked objects that live on, like modules
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(loaded)


def test_a_collector_turned_off_by_the_caller_stays_off_and_nothing_is_frozen(
    gc_restored: None,
) -> None:
    gc.unfreeze()
    gc.disable()
    with _gc_paused_then_frozen():
        pass
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_the_offload_process_forked_during_the_pause_collects(gc_restored: None) -> None:
    served = Served(predictor=object(), name="m", version="1")  # type: ignore[arg-type]
    with _gc_paused_then_frozen():
        pool = offload.start_offload(served)
    try:
        assert pool.pool.submit(gc.isenabled).result(timeout=30) is True
    finally:
        pool.shutdown()
