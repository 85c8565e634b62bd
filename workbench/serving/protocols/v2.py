"""Open Inference (KServe V2) routes: server and model metadata, health, and inference, with
the binary tensor data extension (`codecs.v2_binary`) in requests and responses."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from workbench import __version__
from workbench.serving.codecs import ProtocolError, v2, v2_binary
from workbench.serving.http import (
    Answer,
    Body,
    Call,
    Peek,
    Served,
    dumps,
    guarded,
    json_response,
    parse_json,
    predict_endpoint,
    register_answer,
)

MAX_ID = 256  # the request's `id` is echoed back


def error(status: int, message: str) -> Any:
    return v2.error(message)


def answer_infer(served: Served, body: Body, call: Call) -> Answer:
    header = call.headers.get(v2_binary.HEADER)
    doc = v2_binary.split(body, int(header)) if header else parse_json(body)
    batch, wanted = v2.decode(doc, served.predictor.signature)
    binary, every = v2_binary.binary_outputs(doc)
    given = doc.get("id") if isinstance(doc, dict) else None
    if given is not None and not isinstance(given, str):
        raise ProtocolError("id: expected a string")
    if isinstance(given, str) and len(given) > MAX_ID:
        raise ProtocolError(f"id: longer than {MAX_ID} characters")
    pred = served.predictor.predict(batch)
    out = v2.encode(
        pred,
        wanted,
        model=served.name,
        version=served.version,
        request_id=given if isinstance(given, str) else call.request_id,
    )
    tails = v2_binary.encode(out, binary, every)
    if not tails:
        return Answer(200, dumps(out), batch.matrix.shape[0])
    head = dumps(out)
    headers = {v2_binary.HEADER: str(len(head)), "content-type": "application/octet-stream"}
    return Answer(200, head + b"".join(tails), batch.matrix.shape[0], headers)


register_answer("v2_infer", answer_infer, error)


def routes(served: Served) -> list[BaseRoute]:
    predictor = served.predictor

    def check_model(request: Request) -> None:
        name = request.path_params["name"]
        version = request.path_params.get("version")
        if name != served.name or (version is not None and version != served.version):
            what = f"{name}" + (f" version {version}" if version is not None else "")
            raise ProtocolError(
                f"model '{what}' not found; this server serves '{served.name}' version {served.version}",
                404,
            )

    @guarded("v2_health", error)
    async def live(request: Request) -> Response:
        return json_response({"live": True})

    @guarded("v2_health", error)
    async def ready(request: Request) -> Response:
        return json_response({"ready": True})

    @guarded("v2_metadata", error)
    async def server(request: Request) -> Response:
        return json_response(
            {"name": "workbench", "version": __version__, "extensions": ["binary_tensor_data"]}
        )

    @guarded("v2_metadata", error)
    async def model(request: Request) -> Response:
        check_model(request)
        return json_response(
            v2.model_metadata(
                predictor.signature,
                name=served.name,
                version=served.version,
                classes=predictor.classes,
            )
        )

    @guarded("v2_health", error)
    async def model_ready(request: Request) -> Response:
        check_model(request)
        return json_response({"name": served.name, "ready": True})

    def check_infer(request: Request) -> Peek | None:
        """The model, and a binary request's sizes from its headers, then (peeking at the
        JSON header) its declared tensor sizes against the body: all before the tensors are
        read, so a lying or huge request is refused at once."""
        check_model(request)
        header = request.headers.get(v2_binary.HEADER)
        if header is None:
            return None
        size, total = v2_binary.check_lengths(
            header, request.headers.get("content-length"), served.max_body_bytes
        )
        return size, lambda head: v2_binary.check_sizes(head, total - size)

    infer = predict_endpoint("v2_infer", served, check_infer, (v2_binary.HEADER,))
    return [
        Route("/v2/models/{name}/infer", infer, methods=["POST"]),
        Route("/v2/models/{name}/versions/{version}/infer", infer, methods=["POST"]),
        Route("/v2", server, methods=["GET"]),
        Route("/v2/health/live", live, methods=["GET"]),
        Route("/v2/health/ready", ready, methods=["GET"]),
        Route("/v2/models/{name}", model, methods=["GET"]),
        Route("/v2/models/{name}/versions/{version}", model, methods=["GET"]),
        Route("/v2/models/{name}/ready", model_ready, methods=["GET"]),
        Route("/v2/models/{name}/versions/{version}/ready", model_ready, methods=["GET"]),
    ]
