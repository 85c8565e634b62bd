"""The promotion gate's compare-and-set on a PostgreSQL registry (advisory lock)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.tracking.test_tracking_promotion_safety import models, race  # noqa: F401 - fixture
from workbench.tracking.promotion_lock import promotion_lock

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_advisory_lock_orders_two_holders(pg_store: str) -> None:
    events: list[str] = []

    def hold(who: str, model: str) -> None:
        with promotion_lock(pg_store, model) as kind:
            assert kind == "postgresql advisory lock"
            events.append(f"{who} in")
            time.sleep(0.4)
            events.append(f"{who} out")

    first = threading.Thread(target=hold, args=("a", "m"))
    first.start()
    time.sleep(0.1)
    second = threading.Thread(target=hold, args=("b", "m"))
    other = threading.Thread(target=hold, args=("c", "another model"))
    second.start()
    other.start()
    for thread in (first, second, other):
        thread.join(10)
    same = [e for e in events if e[0] in "ab"]
    assert same == ["a in", "a out", "b in", "b out"]  # one model: one holder at a time
    assert events.index("c in") < events.index("a out")  # another model is not held up


def test_concurrent_promotions_leave_the_better_champion_postgres(
    pg_project: tuple[Path, str],
    models: dict[str, Any],  # noqa: F811
) -> None:
    for worse, better, champion in race(models, "race", rounds=10):
        assert champion == str(better), (worse, better, champion)
