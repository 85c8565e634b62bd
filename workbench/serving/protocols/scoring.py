"""MLflow scoring routes: `POST /invocations` (as `mlflow models serve`), `GET /ping`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from workbench.serving.codecs import ProtocolError, scoring
from workbench.serving.http import (
    Answer,
    Body,
    Call,
    Served,
    dumps,
    guarded,
    parse_json,
    predict_endpoint,
    register_answer,
)


def answer_invocations(served: Served, body: Body, call: Call) -> Answer:
    ctype = call.content_type
    if ctype and not ctype.startswith("application/json"):
        raise ProtocolError(f"Content-Type: {ctype} is not supported; send application/json", 415)
    batch, method = scoring.decode(parse_json(body), served.predictor.signature)
    proba = method == "predict_proba"
    pred = served.predictor.predict(batch, proba=proba, labels=not proba)
    return Answer(200, dumps(scoring.encode(pred, method)), batch.matrix.shape[0])


register_answer("invocations", answer_invocations, scoring.error)


@guarded("health", scoring.error)
async def mlflow_ping(request: Request) -> Response:
    return Response(b"\n", media_type="application/json")


def routes(served: Served) -> list[BaseRoute]:
    return [
        Route("/invocations", predict_endpoint("invocations", served), methods=["POST"]),
        Route("/ping", mlflow_ping, methods=["GET"]),
    ]
