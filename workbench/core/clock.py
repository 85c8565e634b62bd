"""The one clock workbench reads: wall time in seconds and in MLflow's epoch milliseconds, and a
monotonic clock for durations and deadlines.

Every timestamp stored (cache entries, MLflow runs and metrics, watermarks, access lines) comes
from here, so a test can freeze or shift time in one place, and seconds and milliseconds never
disagree about rounding.
"""

from __future__ import annotations

import time


def now() -> float:
    """Seconds since the epoch (cache entry `created`, ages, log stamps)."""
    return time.time()


def now_ms() -> int:
    """Milliseconds since the epoch, the unit MLflow stores run and metric times in."""
    return int(now() * 1000)


def monotonic() -> float:
    """Seconds on a clock that never goes back (durations, deadlines, flush intervals): the
    wall clock above can jump with NTP; this one only moves forward."""
    return time.perf_counter()
