"""Fuzz: thousands of random and malformed bodies on every POST route, in process.

Random JSON, protocol-shaped bodies with wrong parts, and raw bytes: every answer is below 500
(a client's mistake is never a server error) and the app keeps answering afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serving_helpers import NAME, TestClient, columns, example_model, write_store_model

from workbench.serving.loader import resolve_source
from workbench.serving.server import build_app

ROUTES = ["/api/v1.0/predictions", "/predict", f"/v2/models/{NAME}/infer", "/invocations"]
KEYS = [
    "data", "ndarray", "tensor", "shape", "values", "names", "jsonData", "meta", "strData",
    "inputs", "outputs", "name", "datatype", "instances", "dataframe_split", "columns",
    "dataframe_records", "params", "predict_method", "id", "tags", *columns()[:3],
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["FP64", "INT64", "BYTES", "BOOL", "predict_proba", *columns()[:2]])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=40,
)
row = st.lists(scalars | st.floats(-1e6, 1e6), min_size=0, max_size=32)
numeric_row = st.lists(st.floats(-1e300, 1e300), min_size=29, max_size=31)
shaped = st.one_of(
    st.builds(lambda r: {"data": {"ndarray": r}}, st.lists(row | numeric_row, max_size=4)),
    st.builds(
        lambda shape, vals: {"data": {"tensor": {"shape": shape, "values": vals}}},
        st.lists(st.integers(-2, 40), max_size=3),
        st.lists(st.floats(-1e9, 1e9) | scalars, max_size=70),
    ),
    st.builds(
        lambda names, r: {"data": {"names": names, "ndarray": r}},
        st.lists(st.sampled_from(columns()) | st.text(max_size=4), max_size=31),
        st.lists(numeric_row, max_size=3),
    ),
    st.builds(
        lambda name, shape, dt, data, outs: {
            "inputs": [{"name": name, "shape": shape, "datatype": dt, "data": data}],
            "outputs": outs,
        },
        st.sampled_from(["x", *columns()[:2]]) | st.text(max_size=3),
        st.lists(st.integers(-1, 40), max_size=3),
        st.sampled_from(["FP64", "FP32", "INT64", "BYTES", "BOOL", "nope"]),
        st.lists(st.floats(-1e9, 1e9) | scalars, max_size=70) | json_values,
        st.none()
        | st.lists(
            st.fixed_dictionaries({"name": st.sampled_from(["label", "proba", "x"])}), max_size=2
        ),
    ),
    st.builds(
        lambda fmt, value, params: {fmt: value, "params": params},
        st.sampled_from(["dataframe_split", "dataframe_records", "instances", "inputs"]),
        json_values
        | st.lists(numeric_row, max_size=3)
        | st.fixed_dictionaries(
            {"columns": st.just(columns()), "data": st.lists(numeric_row, max_size=3)}
        ),
        st.none() | st.fixed_dictionaries({"predict_method": scalars}),
    ),
    st.builds(lambda v: {"jsonData": v}, json_values),
)


def encode(body: Any) -> bytes:
    return orjson.dumps(body)


raw = st.binary(max_size=200) | st.sampled_from(
    [b"", b"{", b"[1,", b'{"data":', b"nan", b"\xff\xfe"]
)
bodies = shaped.map(encode) | json_values.map(encode) | raw


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = write_store_model(tmp_path_factory.mktemp("store"), example_model())
    return build_app(
        resolve_source(str(folder), trust_unverified=True), 64 * 1024, access_log=False
    )


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def call(
    app: Any, loop: asyncio.AbstractEventLoop, path: str, body: bytes
) -> tuple[int, dict[bytes, bytes], bytes]:
    """One POST straight through the ASGI interface: the app exactly as uvicorn calls it, minus
    the sockets, so thousands of requests take seconds (TestClient adds a thread hop each)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode())], "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    loop.run_until_complete(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), content


@pytest.mark.slow
@settings(
    max_examples=2000,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(route=st.sampled_from(ROUTES), body=bodies)
def test_no_body_gets_a_5xx(
    app: Any, loop: asyncio.AbstractEventLoop, route: str, body: bytes
) -> None:
    status, headers, content = call(app, loop, route, body)
    assert status < 500, (route, body[:300], content)
    if status >= 400:
        assert headers[b"content-type"] == b"application/json"
        assert orjson.loads(content)  # an error body in the protocol's format, not a crash


def test_still_answers_after_the_fuzz(app: Any) -> None:
    with TestClient(app) as client:
        assert client.get("/v2/health/ready").status_code == 200


def test_a_client_leaving_mid_body_is_not_a_server_error(
    app: Any, loop: asyncio.AbstractEventLoop
) -> None:
    sent: list[dict[str, Any]] = []
    messages = [
        {"type": "http.disconnect"},
        {"type": "http.request", "body": b'{"inputs": [', "more_body": True},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/invocations", "headers": [],
             "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}  # fmt: skip
    loop.run_until_complete(app(scope, receive, send))
    assert next(m for m in sent if m["type"] == "http.response.start")["status"] == 400
