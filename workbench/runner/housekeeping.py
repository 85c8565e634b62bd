"""`workbench cache ls|clear`: list and prune the step cache in the artifact store."""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.core import clock
from workbench.core.errors import WorkbenchError
from workbench.runner.store import ArtifactStore, CacheEntry

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class CacheRow:
    entry: CacheEntry
    size: int
    age_seconds: float


def parse_age(text: str) -> float:
    """'7d', '12h', '30m', '90s', '2w' -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if not match:
        raise WorkbenchError(
            f"--older-than {text!r}: expected a number and a unit: s, m, h, d or w"
        )
    return float(match.group(1)) * UNITS[match.group(2)]


def list_cache(store: ArtifactStore, pipeline: str | None = None) -> list[CacheRow]:
    now = clock.now()
    return [
        CacheRow(entry, store.size(entry), max(0.0, now - entry.created))
        for entry in store.entries(pipeline)
    ]


def clear_cache(
    store: ArtifactStore, *, older_than: float | None = None, pipeline: str | None = None
) -> list[CacheEntry]:
    """Remove entries (older than `older_than` seconds, when given); return what was removed.

    Incomplete entries (no record: a step that died) are removed too, unless they are younger
    than `older_than`: a pipeline may be writing them right now.
    """
    now = clock.now()
    removed = []
    for entry in list(store.entries(pipeline)):
        if older_than is not None and now - entry.created < older_than:
            continue
        store.remove(entry)
        removed.append(entry)
    return removed


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def human_age(seconds: float) -> str:
    for unit, length in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= length:
            return f"{seconds / length:.0f}{unit}"
    return f"{seconds:.0f}s"
