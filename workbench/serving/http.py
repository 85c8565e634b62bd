"""What every protocol's routes share: the served model, JSON in and out, reading a bounded
body with a deadline, and running a prediction where it cannot stall the event loop.

A prediction route is a pure function `answer(served, body, call) -> Answer` (bytes in, status
and bytes out), so the same function runs inline for a small body, in a thread for a medium one,
and in the offload process for a large one: orjson and numpy hold the GIL while they parse and
convert (a 50 MB body holds it for seconds here), so only another process keeps `/health/ping`
answering meanwhile. `answers` is the registry the offload process looks a route's function up in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from workbench.serving.codecs import ProtocolError
from workbench.serving.predictor import Predictor

DEFAULT_MAX_BODY = 64 * 1024 * 1024
THREAD_BYTES = 64 * 1024  # bodies at least this large are decoded and predicted in a thread
BODY_SECONDS = 30.0  # a body must arrive within this long once its headers have (else 408)
log = logging.getLogger("workbench.serving")


@dataclass(frozen=True)
class Served:
    """The one model this server answers for, and the request-path limits.

    `offload` is a `workbench.serving.offload.Offload` (a process holding the same model) for
    bodies of at least `offload_bytes`; None keeps everything in this process.
    """

    predictor: Predictor
    name: str
    version: str
    alias: str = ""
    max_body_bytes: int = DEFAULT_MAX_BODY
    body_seconds: float = BODY_SECONDS
    offload_bytes: int = 0
    offload: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Call:
    """What an answer needs from the request besides its body; picklable for the offload."""

    request_id: str
    params: dict[str, str]
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # those the route asked for


class Answer(NamedTuple):
    """A prediction route's reply: status, body (JSON unless `headers` say otherwise), rows
    predicted, and extra response headers (e.g. a binary V2 body's header length)."""

    status: int
    body: bytes
    rows: int
    headers: dict[str, str] | None = None


# A look at the start of a body before the rest is read: (how many bytes, check them)
Peek = tuple[int, Callable[[bytes], None]]
# a body as received, or a read-only view of the offload's spooled copy
Body = bytes | memoryview
AnswerFn = Callable[[Served, Body, Call], Answer]
ErrorFn = Callable[[int, str], Any]
_ANSWERS: dict[str, tuple[AnswerFn, ErrorFn]] = {}


def register_answer(key: str, fn: AnswerFn, error: ErrorFn) -> None:
    """Register a prediction route's answer function at import (the offload process finds it
    here by `key`, which is also the route's name in the metrics)."""
    _ANSWERS[key] = (fn, error)


def _default(obj: Any) -> Any:
    if isinstance(obj, np.ndarray | np.generic):
        return obj.tolist()  # dtypes orjson cannot serialize natively (strings, objects)
    raise TypeError


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, default=_default, option=orjson.OPT_SERIALIZE_NUMPY)


def json_response(content: Any, status: int = 200) -> Response:
    return Response(dumps(content), status_code=status, media_type="application/json")


def parse_json(body: Body) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(f"body: malformed JSON: {exc}") from None


def declared_length(request: Request, limit: int) -> int | None:
    """The body's Content-Length, checked (None when chunked); 413 when over `limit`."""
    declared = request.headers.get("content-length")
    if declared is None:
        return None
    if not declared.isdigit():
        raise ProtocolError("Content-Length: not a number")
    if int(declared) > limit:
        raise ProtocolError(f"body: {declared} bytes is over the limit of {limit}", 413)
    return int(declared)


async def receive_body(
    request: Request,
    limit: int,
    seconds: float,
    put: Callable[[bytes, int], object],
    peek: Peek | None = None,
) -> int:
    """Stream the body into `put(chunk, offset)`; its size. 413 past `limit`, 408 when it takes
    over `seconds` (a slow client cannot hold a connection and a buffer open: uvicorn has no
    body timeout).

    `peek` (n, check) runs `check` on the first n bytes as soon as they have arrived, before
    the rest is read: a binary V2 request's sizes are refused without waiting for its tensors.
    """
    size = 0
    head = b""

    async def receive() -> None:
        nonlocal size, head
        pending = peek
        async for chunk in request.stream():
            if size + len(chunk) > limit:
                raise ProtocolError(f"body: over the limit of {limit} bytes", 413)
            put(chunk, size)
            size += len(chunk)
            if pending is not None:
                head += chunk[: pending[0] - len(head)]
                if len(head) >= pending[0]:
                    pending[1](head)
                    pending = None
        if pending is not None:
            raise ProtocolError(f"body: {size} bytes, shorter than the {pending[0]} announced")

    try:
        await asyncio.wait_for(receive(), seconds)
    except TimeoutError:
        raise ProtocolError(f"body: not received within {seconds:g} s", 408) from None
    except ClientDisconnect:
        # the client left mid-body: its doing, so a 4xx in the metrics, not a server error
        raise ProtocolError("body: the client disconnected before sending all of it") from None
    return size


async def read_body(
    request: Request, limit: int, seconds: float, peek: Peek | None = None
) -> bytes:
    """The whole body as bytes (see `receive_body` for the limits)."""
    declared_length(request, limit)
    chunks: list[bytes] = []
    await receive_body(request, limit, seconds, lambda chunk, _: chunks.append(chunk), peek)
    return b"".join(chunks)


def guarded(
    route: str, error: ErrorFn
) -> Callable[[Callable[[Request], Awaitable[Response]]], Any]:
    """Name the route for metrics and turn a ProtocolError into the protocol's error body."""

    def wrap(handler: Callable[[Request], Awaitable[Response]]) -> Any:
        async def endpoint(request: Request) -> Response:
            request.scope["workbench.route"] = route
            try:
                return await handler(request)
            except ProtocolError as exc:
                headers = {"connection": "close"} if exc.status == 408 else None
                return Response(
                    dumps(error(exc.status, exc.message)),
                    status_code=exc.status,
                    media_type="application/json",
                    headers=headers,
                )

        return endpoint

    return wrap


def answer_safely(fn: AnswerFn, served: Served, body: Body, call: Call, error: ErrorFn) -> Answer:
    """`fn`, with a client's mistake rendered in the protocol's error format."""
    try:
        return fn(served, body, call)
    except ProtocolError as exc:
        return Answer(exc.status, dumps(error(exc.status, exc.message)), 0)


def predict_endpoint(
    key: str,
    served: Served,
    check: Callable[[Request], Peek | None] | None = None,
    headers: tuple[str, ...] = (),
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of the prediction route `key`: check, read, then answer where it fits.

    `check` sees the request before its body is read (and may ask to peek at the body's
    start); the request `headers` named are passed on to the answer function in its Call.
    """
    fn, error = _ANSWERS[key]

    @guarded(key, error)
    async def endpoint(request: Request) -> Response:
        peek = check(request) if check is not None else None
        call = Call(
            str(request.scope.get("workbench.request_id", "")),
            dict(request.path_params),
            request.headers.get("content-type", ""),
            {h: request.headers[h] for h in headers if h in request.headers},
        )
        declared = declared_length(request, served.max_body_bytes)
        offload = served.offload
        answered: Answer
        if offload is not None and declared is not None and declared >= served.offload_bytes:
            # never held here: streamed to the offload's spool file as it arrives
            answered = await offload.answer(key, served, request, None, peek, call)
        else:
            body = await read_body(request, served.max_body_bytes, served.body_seconds, peek)
            if offload is not None and len(body) >= served.offload_bytes:  # chunked, large
                answered = await offload.answer(key, served, request, body, None, call)
            elif len(body) >= THREAD_BYTES:
                answered = await run_in_threadpool(answer_safely, fn, served, body, call, error)
            else:
                answered = answer_safely(fn, served, body, call, error)
        request.scope["workbench.rows"] = answered.rows
        extra = answered.headers or {}
        return Response(
            answered.body,
            status_code=answered.status,
            media_type=extra.get("content-type", "application/json"),
            headers={k: v for k, v in extra.items() if k != "content-type"},
        )

    return endpoint


# --- the offload process (workbench.serving.offload starts it) -----------------------------
_WORKER: dict[str, Served] = {}


def answer_fn(key: str) -> tuple[AnswerFn, ErrorFn]:
    """The answer and error functions registered for the prediction route `key`."""
    return _ANSWERS[key]
