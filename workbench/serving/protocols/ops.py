"""Operations routes every deployment has: Prometheus `/metrics`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from workbench.serving import metrics
from workbench.serving.http import Served


async def metrics_endpoint(request: Request) -> Response:
    request.scope["workbench.route"] = "metrics"
    body, ctype = metrics.render()
    return Response(body, media_type=ctype)


def routes(served: Served) -> list[BaseRoute]:
    return [Route("/metrics", metrics_endpoint, methods=["GET"])]
