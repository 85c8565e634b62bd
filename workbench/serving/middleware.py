"""One pure-ASGI middleware for what every request needs: a request id, metrics, an access line.

Pure ASGI rather than Starlette's BaseHTTPMiddleware, which costs a task and a stream per
request. The request id is the client's X-Request-ID when it is a sane token (so a trace crosses
services), else a fresh one; it is returned on every response and passed to handlers in the
scope (Seldon's `puid`, V2's `id`).
"""

from __future__ import annotations

import os
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workbench.core import clock
from workbench.serving import metrics
from workbench.serving.accesslog import AccessLog

_MAX_ID = 128


def request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for key, value in headers:
        if key == b"x-request-id":
            # printable ASCII only, so the id can go into a header and a log line unchanged
            if 0 < len(value) <= _MAX_ID and all(33 <= b < 127 for b in value):
                return value.decode("ascii")
            break
    return os.urandom(16).hex()  # as unique as uuid4().hex, a tenth of the cost


class Observe:
    """Wraps the app: request id header, Prometheus counters, structured access log."""

    def __init__(self, app: ASGIApp, access_log: AccessLog | None = None) -> None:
        self.app = app
        self.log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = clock.monotonic()
        rid = request_id(scope["headers"])
        scope["workbench.request_id"] = rid
        header = (b"x-request-id", rid.encode("ascii"))
        status = 500
        observed = False

        def observe() -> None:
            nonlocal observed
            observed = True
            elapsed = clock.monotonic() - start
            route: Any = scope.get("workbench.route", "other")
            rows = int(scope.get("workbench.rows", 0))
            metrics.observe_request(route, status, elapsed)
            if rows:
                metrics.observe_batch(route, rows)
            if self.log is not None:
                self.log.write(scope["method"], scope["path"], status, elapsed, rid, rows)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # counted before the last byte leaves: a client holding its whole answer
                # finds it in /metrics (of any worker), never a moment later
                observe()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if not observed:  # no complete response: an error, or the client went away
                observe()
