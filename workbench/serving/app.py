"""The ASGI app: Seldon v1, Open Inference (V2) and MLflow scoring routes over one Predictor.

Every client mistake is a ProtocolError raised by a codec (or by reading the body) and answered
in the protocol's own error format with a 4xx; only a bug in the server itself can give a 5xx,
and uvicorn keeps the worker alive through it. Predictions of large batches run in a thread so
one big request does not stall every small one behind it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from workbench import __version__
from workbench.serving import metrics
from workbench.serving.accesslog import AccessLog
from workbench.serving.codecs import Batch, Predictions, ProtocolError, scoring, seldon, v2
from workbench.serving.middleware import Observe
from workbench.serving.predictor import Predictor

DEFAULT_MAX_BODY = 64 * 1024 * 1024
THREAD_ROWS = 256  # batches at least this large predict in a worker thread


@dataclass(frozen=True)
class Served:
    """The one model this server answers for, and the request-path limits."""

    predictor: Predictor
    name: str
    version: str
    alias: str = ""
    max_body_bytes: int = DEFAULT_MAX_BODY


def _default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray | np.generic):
        return obj.tolist()  # dtypes orjson cannot serialize natively (strings, objects)
    raise TypeError


def json_response(content: Any, status: int = 200) -> Response:
    body = orjson.dumps(content, default=_default, option=orjson.OPT_SERIALIZE_NUMPY)
    return Response(body, status_code=status, media_type="application/json")


async def read_json(request: Request, limit: int) -> Any:
    """The parsed body; 413 past `limit` (declared or streamed), 400 when not JSON."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ProtocolError("Content-Length: not a number")
        if int(declared) > limit:
            raise ProtocolError(f"body: {declared} bytes is over the limit of {limit}", 413)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ProtocolError(f"body: over the limit of {limit} bytes", 413)
            chunks.append(chunk)
    except ClientDisconnect:
        # the client left mid-body: its doing, so a 4xx in the metrics, not a server error
        raise ProtocolError("body: the client disconnected before sending all of it") from None
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(f"body: malformed JSON: {exc}") from None


Handler = Callable[[Request], Awaitable[Response]]


def create_app(served: Served, *, access_log: AccessLog | None = None) -> Starlette:
    """The Starlette app for `served`; `access_log` None writes no access lines."""
    predictor, sig = served.predictor, served.predictor.signature
    limit = served.max_body_bytes

    async def predict(request: Request, batch: Batch, **kw: bool) -> Predictions:
        rows = batch.matrix.shape[0]
        request.scope["workbench.rows"] = rows
        if rows >= THREAD_ROWS:
            return await run_in_threadpool(lambda: predictor.predict(batch, **kw))
        return predictor.predict(batch, **kw)

    def rid(request: Request) -> str:
        return str(request.scope.get("workbench.request_id", ""))

    def guarded(route: str, error: Callable[[int, str], Any]) -> Callable[[Handler], Handler]:
        """Name the route for metrics and turn ProtocolError into the protocol's error body."""

        def wrap(handler: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                request.scope["workbench.route"] = route
                try:
                    return await handler(request)
                except ProtocolError as exc:
                    return json_response(error(exc.status, exc.message), exc.status)

            return endpoint

        return wrap

    # --- Seldon v1 -------------------------------------------------------------------------
    @guarded("seldon_predict", seldon.error)
    async def seldon_predict(request: Request) -> Response:
        body = await read_json(request, limit)
        batch, form = seldon.decode(body, sig)
        pred = await predict(request, batch)
        meta = seldon.response_meta(body, rid(request), served.name, served.version, served.alias)
        return json_response(seldon.encode(pred, form, meta))

    async def ping(request: Request) -> Response:
        request.scope["workbench.route"] = "health"
        return PlainTextResponse("pong")

    @guarded("health", seldon.error)
    async def status(request: Request) -> Response:
        probe = Batch(np.zeros((1, sig.width)) if sig.numeric else np.zeros((1, sig.width), object))
        try:
            predictor.predict(probe)
        except ProtocolError as exc:  # the model cannot predict at all: not ready
            return json_response(seldon.error(503, exc.message), 503)
        return json_response({"status": "ok", **_model_info(served)})

    @guarded("metadata", seldon.error)
    async def seldon_metadata(request: Request) -> Response:
        names = ["label", *[f"proba_{c}" for c in predictor.classes]]
        return json_response(
            {
                "name": served.name,
                "versions": [served.version],
                "platform": "sklearn",
                "inputs": [
                    {
                        "messagetype": "tensor",
                        "schema": {"names": list(sig.names), "shape": [sig.width]},
                    }
                ],
                "outputs": [
                    {"messagetype": "tensor", "schema": {"names": names, "shape": [len(names)]}}
                ],
                "custom": {"alias": served.alias},
            }
        )

    # --- Open Inference (V2) ---------------------------------------------------------------
    def v2_error(status: int, message: str) -> Any:
        return v2.error(message)

    def check_model(request: Request) -> None:
        name = request.path_params["name"]
        version = request.path_params.get("version")
        if name != served.name or (version is not None and version != served.version):
            what = f"{name}" + (f" version {version}" if version is not None else "")
            raise ProtocolError(
                f"model '{what}' not found; this server serves '{served.name}' version {served.version}",
                404,
            )

    @guarded("v2_health", v2_error)
    async def v2_live(request: Request) -> Response:
        return json_response({"live": True})

    @guarded("v2_health", v2_error)
    async def v2_ready(request: Request) -> Response:
        return json_response({"ready": True})

    @guarded("v2_metadata", v2_error)
    async def v2_server(request: Request) -> Response:
        return json_response({"name": "workbench", "version": __version__, "extensions": []})

    @guarded("v2_metadata", v2_error)
    async def v2_model(request: Request) -> Response:
        check_model(request)
        return json_response(
            v2.model_metadata(
                sig, name=served.name, version=served.version, classes=predictor.classes
            )
        )

    @guarded("v2_health", v2_error)
    async def v2_model_ready(request: Request) -> Response:
        check_model(request)
        return json_response({"name": served.name, "ready": True})

    @guarded("v2_infer", v2_error)
    async def v2_infer(request: Request) -> Response:
        check_model(request)
        body = await read_json(request, limit)
        batch, wanted = v2.decode(body, sig)
        pred = await predict(request, batch)
        given_id = body.get("id") if isinstance(body, dict) else None
        return json_response(
            v2.encode(
                pred,
                wanted,
                model=served.name,
                version=served.version,
                request_id=given_id if isinstance(given_id, str) else rid(request),
            )
        )

    # --- MLflow scoring --------------------------------------------------------------------
    @guarded("invocations", scoring.error)
    async def invocations(request: Request) -> Response:
        ctype = request.headers.get("content-type", "")
        if ctype and not ctype.startswith("application/json"):
            raise ProtocolError(
                f"Content-Type: {ctype} is not supported; send application/json", 415
            )
        body = await read_json(request, limit)
        batch, method = scoring.decode(body, sig)
        proba = method == "predict_proba"
        pred = await predict(request, batch, proba=proba, labels=not proba)
        return json_response(scoring.encode(pred, method))

    @guarded("health", scoring.error)
    async def mlflow_ping(request: Request) -> Response:
        return Response(b"\n", media_type="application/json")

    async def metrics_endpoint(request: Request) -> Response:
        request.scope["workbench.route"] = "metrics"
        body, ctype = metrics.render()
        return Response(body, media_type=ctype)

    async def http_error(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        return json_response({"error": f"{request.method} {request.url.path}: {detail}"}, code)

    # Prediction routes first: Starlette tries routes in order.
    routes = [
        Route("/invocations", invocations, methods=["POST"]),
        Route("/api/v1.0/predictions", seldon_predict, methods=["POST"]),
        Route("/v2/models/{name}/infer", v2_infer, methods=["POST"]),
        Route("/predict", seldon_predict, methods=["POST"]),
        Route("/api/v1.0/metadata", seldon_metadata, methods=["GET"]),
        Route("/health/ping", ping, methods=["GET"]),
        Route("/health/status", status, methods=["GET"]),
        Route("/v2", v2_server, methods=["GET"]),
        Route("/v2/health/live", v2_live, methods=["GET"]),
        Route("/v2/health/ready", v2_ready, methods=["GET"]),
        Route("/v2/models/{name}", v2_model, methods=["GET"]),
        Route("/v2/models/{name}/versions/{version}", v2_model, methods=["GET"]),
        Route("/v2/models/{name}/ready", v2_model_ready, methods=["GET"]),
        Route("/v2/models/{name}/versions/{version}/ready", v2_model_ready, methods=["GET"]),
        Route("/v2/models/{name}/versions/{version}/infer", v2_infer, methods=["POST"]),
        Route("/ping", mlflow_ping, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    app.add_middleware(Observe, access_log=access_log)
    return app


def _model_info(served: Served) -> dict[str, Any]:
    return {"model_name": served.name, "model_version": served.version, "model_alias": served.alias}
