"""Seldon Core v1 routes: predictions (`/api/v1.0/predictions`, `/predict`), feedback
(`/api/v1.0/feedback`, `/send-feedback`), metadata, health. Messages come as JSON or as the
`json` field of a form (Seldon's own client)."""

from __future__ import annotations

from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from workbench.serving.codecs import Batch, ProtocolError, seldon, seldon_forms
from workbench.serving.http import (
    Answer,
    Body,
    Call,
    Served,
    dumps,
    guarded,
    json_response,
    log,
    parse_json,
    predict_endpoint,
    register_answer,
)


def answer_predict(served: Served, body: Body, call: Call) -> Answer:
    # JSON, or the `json` field of a form (what Seldon's own client sends)
    doc = parse_json(seldon_forms.message_bytes(body, call.content_type))
    batch, form = seldon.decode(doc, served.predictor.signature)
    meta = seldon.response_meta(doc, call.request_id, served.name, served.version, served.alias)
    pred = served.predictor.predict(batch)
    return Answer(200, dumps(seldon.encode(pred, form, meta)), batch.matrix.shape[0])


register_answer("seldon_predict", answer_predict, seldon.error)


def answer_feedback(served: Served, body: Body, call: Call) -> Answer:
    """Seldon's Feedback message ({request, response, reward, truth}): accepted and logged, as
    Seldon's wrapper does for a model without `send_feedback`; nothing is learned from it."""
    doc = parse_json(seldon_forms.message_bytes(body, call.content_type))
    if not isinstance(doc, dict):
        raise ProtocolError("body: expected a Feedback object with request, response, reward")
    reward = doc.get("reward", 0)
    if not isinstance(reward, int | float) or isinstance(reward, bool):
        raise ProtocolError("reward: expected a number")
    truth = doc.get("truth")
    log.info(
        "seldon feedback request_id=%s reward=%s truth=%s",
        call.request_id,
        reward,
        "yes" if truth is not None else "no",
    )
    meta = seldon.response_meta({}, call.request_id, served.name, served.version, served.alias)
    return Answer(200, dumps({"meta": meta}), 0)


register_answer("seldon_feedback", answer_feedback, seldon.error)


def model_info(served: Served) -> dict[str, Any]:
    return {"model_name": served.name, "model_version": served.version, "model_alias": served.alias}


def routes(served: Served) -> list[BaseRoute]:
    predictor, sig = served.predictor, served.predictor.signature

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
        return json_response({"status": "ok", **model_info(served)})

    @guarded("metadata", seldon.error)
    async def metadata(request: Request) -> Response:
        names = ["label", *[f"proba_{c}" for c in predictor.classes]]
        inputs = {"names": list(sig.names), "shape": [sig.width]}
        return json_response(
            {
                "name": served.name,
                "versions": [served.version],
                "platform": "sklearn",
                "inputs": [{"messagetype": "tensor", "schema": inputs}],
                "outputs": [
                    {"messagetype": "tensor", "schema": {"names": names, "shape": [len(names)]}}
                ],
                "custom": {"alias": served.alias},
            }
        )

    predict = predict_endpoint("seldon_predict", served)
    feedback = predict_endpoint("seldon_feedback", served)
    return [
        Route("/api/v1.0/feedback", feedback, methods=["POST"]),
        Route("/send-feedback", feedback, methods=["POST"]),
        Route("/api/v1.0/predictions", predict, methods=["POST"]),
        Route("/predict", predict, methods=["POST"]),
        Route("/api/v1.0/metadata", metadata, methods=["GET"]),
        Route("/health/ping", ping, methods=["GET"]),
        Route("/health/status", status, methods=["GET"]),
    ]
