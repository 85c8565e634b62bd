"""The ASGI app: every registered protocol's routes over one served model, plus middleware.

The routes come from `workbench.serving.protocols` (each protocol module provides its own);
this module only assembles them, adds the request-id/metrics/access-log middleware, turns
Starlette's own HTTP errors (404, 405) into JSON, and runs the offload process's lifetime.
Every client mistake is a ProtocolError answered in the protocol's own error format with a 4xx;
only a bug in the server itself can give a 5xx, and uvicorn keeps the worker alive through it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from workbench.serving import protocols
from workbench.serving.accesslog import AccessLog
from workbench.serving.http import DEFAULT_MAX_BODY, Served, json_response
from workbench.serving.middleware import Observe

__all__ = ["DEFAULT_MAX_BODY", "Served", "create_app"]


async def http_error(request: Request, exc: Exception) -> Response:
    code = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
    return json_response({"error": f"{request.method} {request.url.path}: {detail}"}, code)


def create_app(served: Served, *, access_log: AccessLog | None = None) -> Starlette:
    """The Starlette app for `served`; `access_log` None writes no access lines."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if served.offload is not None:
                served.offload.shutdown(wait=False, cancel_futures=True)

    app = Starlette(
        routes=protocols.routes_for(served),
        exception_handlers={HTTPException: http_error},
        lifespan=lifespan,
    )
    app.add_middleware(Observe, access_log=access_log)
    return app
