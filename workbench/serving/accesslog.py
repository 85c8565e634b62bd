"""Structured access log: one JSON object per request on stderr.

Only what is safe to keep: method, path (without the query string, which may carry tokens),
status, duration, rows, request id and worker pid; never headers or bodies.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import IO

import orjson

from workbench.core import clock


class AccessLog:
    """Writes one line per request; `stream=None` disables it (benchmarks, quiet tests)."""

    def __init__(self, stream: IO[str] | None = sys.stderr) -> None:
        self.stream = stream
        self.pid = os.getpid()

    def write(
        self, method: str, path: str, status: int, seconds: float, request_id: str, rows: int
    ) -> None:
        if self.stream is None:
            return
        line = orjson.dumps(
            {
                "ts": round(clock.now(), 3),
                "event": "access",
                "method": method,
                "path": path,
                "status": status,
                "ms": round(seconds * 1000, 3),
                "rows": rows,
                "request_id": request_id,
                "pid": self.pid,
            }
        )
        # a closed or broken stderr must not fail a request
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(line.decode() + "\n")
