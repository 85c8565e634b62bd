"""Prometheus metrics: requests by route and status, latency, batch sizes.

With one worker the default registry is served. With several, uvicorn forks workers that each
count on their own; `enable_multiprocess(dir)` (called by the server before the workers start)
switches prometheus-client to its multiprocess mode, so /metrics on any worker aggregates every
worker's files in that folder.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "workbench_requests_total", "HTTP requests by route and status code", ["route", "status"]
)
LATENCY = Histogram(
    "workbench_request_seconds",
    "Time from request start to response end",
    ["route"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
BATCH = Histogram(
    "workbench_batch_rows",
    "Rows per prediction request",
    ["route"],
    buckets=(1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000, 100000),
)

# Label children cached: .labels() hashes its arguments on every call.
_children: dict[tuple[str, int], Any] = {}
_latency: dict[str, Any] = {}
_batch: dict[str, Any] = {}


def observe_request(route: str, status: int, seconds: float) -> None:
    key = (route, status)
    child = _children.get(key)
    if child is None:
        child = _children[key] = REQUESTS.labels(route, str(status))
    child.inc()
    hist = _latency.get(route)
    if hist is None:
        hist = _latency[route] = LATENCY.labels(route)
    hist.observe(seconds)


def observe_batch(route: str, rows: int) -> None:
    hist = _batch.get(route)
    if hist is None:
        hist = _batch[route] = BATCH.labels(route)
    hist.observe(rows)


def render() -> tuple[bytes, str]:
    """The exposition text of this process, or of all workers in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
