"""A header read deadline for uvicorn's httptools protocol (uvicorn has none).

uvicorn closes an idle keep-alive connection (`timeout_keep_alive`), but a connection that
never finishes its request headers (slowloris: one byte a second), or never sends any, is held
open for as long as the client likes. `HeaderDeadlineProtocol` arms a timer when a connection
opens and when a request begins, disarms it when the headers are complete, and answers 408 and
closes when it fires. The body's own deadline is the app's (`http.read_body`, 408).
The limit is read from WORKBENCH_HEADER_SECONDS, so uvicorn's worker processes see it too.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_SECONDS_ENV = "WORKBENCH_HEADER_SECONDS"
DEFAULT_HEADER_SECONDS = 10.0
_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus a deadline for each request's headers."""

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._header_timer is None:
            seconds = float(os.environ.get(HEADER_SECONDS_ENV, DEFAULT_HEADER_SECONDS))
            self._header_timer = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expired(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.write(_TIMEOUT)
            self.transport.close()
