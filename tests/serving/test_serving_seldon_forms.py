"""Seldon v1 message forms beyond a JSON body: the form-encoded `json` field (what Seldon's own
client sends), tftensor, feedback, and strData/binData refused in Seldon's error format."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import urlencode

import numpy as np
import pytest
from serving_helpers import (
    TestClient,
    columns,
    example_model,
    rows,
    training_frame,
    write_store_model,
)

from workbench.serving.loader import resolve_source
from workbench.serving.server import build_app

LIMIT = 256 * 1024
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = write_store_model(tmp_path_factory.mktemp("store"), example_model())
    app = build_app(resolve_source(str(folder), trust_unverified=True), LIMIT, access_log=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def expected(n: int) -> tuple[list[int], np.ndarray]:
    x, _ = training_frame()
    return example_model().predict(x.iloc[:n]).tolist(), example_model().predict_proba(x.iloc[:n])


def form(message: object) -> bytes:
    return urlencode({"json": json.dumps(message)}).encode()


def check_failure(r: object, status: int, words: str) -> None:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    st = r.json()["status"]  # type: ignore[attr-defined]
    assert st["status"] == "FAILURE" and st["code"] == status and words in st["info"], st


@pytest.mark.parametrize("path", ["/api/v1.0/predictions", "/predict"])
def test_form_encoded_ndarray_and_tensor_match_the_model(client: TestClient, path: str) -> None:
    labels, proba = expected(4)
    flat = [v for r in rows(4) for v in r]
    for data in (
        {"names": columns(), "ndarray": rows(4)},
        {"names": [], "tensor": {"shape": [4, len(columns())], "values": flat}},
    ):
        msg = {"data": data, "meta": {"tags": {"who": "form"}}}
        r = client.post(path, content=form(msg), headers=FORM)
        assert r.status_code == 200, r.text
        out = r.json()
        if "ndarray" in data:
            got = np.array(out["data"]["ndarray"])
        else:
            t = out["data"]["tensor"]
            got = np.array(t["values"]).reshape(t["shape"])
        assert got[:, 0].tolist() == labels
        np.testing.assert_allclose(got[:, 1:], proba, rtol=1e-12)
        assert out["data"]["names"] == ["label", "proba_0", "proba_1"]
        assert out["meta"]["tags"]["who"] == "form" and out["meta"]["puid"]


def test_form_without_json_field_or_too_many_fields_or_other_media_is_4xx(
    client: TestClient,
) -> None:
    check_failure(client.post("/predict", content=b"data=1", headers=FORM), 400, "'json' field")
    many = urlencode({f"f{i}": "x" for i in range(100)}).encode()
    check_failure(client.post("/predict", content=many, headers=FORM), 400, "fields")
    bad = urlencode({"json": "{not json"}).encode()
    check_failure(client.post("/predict", content=bad, headers=FORM), 400, "malformed JSON")
    r = client.post("/predict", content=b"x", headers={"content-type": "text/csv"})
    check_failure(r, 415, "text/csv")
    deep = {"data": {"ndarray": rows(1)}, "meta": {"tags": json.loads("[" * 40 + "]" * 40)}}
    check_failure(client.post("/predict", content=form(deep), headers=FORM), 400, "meta")


def test_form_body_over_the_limit_is_413(client: TestClient) -> None:
    big = b"json=" + b"1" * (LIMIT + 10)
    r = client.post("/predict", content=big, headers=FORM)
    assert r.status_code == 413 and r.json()["status"]["reason"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("dtype,np_dtype", [("DT_DOUBLE", "<f8"), ("DT_FLOAT", "<f4")])
def test_tftensor_content_and_typed_values_decode_without_tensorflow(
    client: TestClient, dtype: str, np_dtype: str
) -> None:
    labels, proba = expected(3)
    arr = np.asarray(rows(3), dtype=np_dtype)
    shape = {"dim": [{"size": "3"}, {"size": str(arr.shape[1])}]}
    content = {
        "dtype": dtype,
        "tensorShape": shape,
        "tensorContent": base64.b64encode(arr.tobytes()).decode(),
    }
    field = "doubleVal" if dtype == "DT_DOUBLE" else "floatVal"
    typed = {"dtype": dtype, "tensorShape": shape, field: arr.reshape(-1).tolist()}
    for tensor in (content, typed):
        r = client.post("/predict", json={"data": {"names": columns(), "tftensor": tensor}})
        assert r.status_code == 200, r.text
        t = r.json()["data"]["tensor"]
        got = np.array(t["values"]).reshape(t["shape"])
        assert got[:, 0].tolist() == labels
        np.testing.assert_allclose(got[:, 1:], proba, rtol=1e-4)


@pytest.mark.parametrize(
    "tensor,words",
    [
        ({"dtype": "DT_STRING", "tensorShape": {"dim": [{"size": "1"}]}}, "DT_STRING"),
        (
            {
                "dtype": "DT_DOUBLE",
                "tensorShape": {"dim": [{"size": "2"}, {"size": "30"}]},
                "doubleVal": [1.0],
            },
            "needs 60",
        ),
        (
            {
                "dtype": "DT_DOUBLE",
                "tensorShape": {"dim": [{"size": "1"}, {"size": "30"}]},
                "tensorContent": "AAAA",
            },
            "bytes",
        ),
        (
            {
                "dtype": "DT_DOUBLE",
                "tensorShape": {"dim": [{"size": "1"}, {"size": "30"}]},
                "tensorContent": "!!",
            },
            "base64",
        ),
        ({"dtype": "DT_DOUBLE", "tensorShape": {"dim": [{"size": "-1"}]}}, "whole numbers"),
        (
            {
                "dtype": "DT_DOUBLE",
                "tensorShape": {"dim": [{"size": "1"}, {"size": "30"}]},
                "tensorContent": "A" * 10_000,
            },
            "longer",
        ),
    ],
)
def test_bad_tftensor_is_a_seldon_400(client: TestClient, tensor: dict, words: str) -> None:
    check_failure(client.post("/predict", json={"data": {"tftensor": tensor}}), 400, words)


@pytest.mark.parametrize("field,value", [("strData", "a sentence"), ("binData", "aGVsbG8=")])
def test_str_and_bin_data_are_refused_clearly(client: TestClient, field: str, value: str) -> None:
    for body, headers in (
        (json.dumps({field: value}).encode(), {"content-type": "application/json"}),
        (form({field: value}), FORM),
    ):
        r = client.post("/api/v1.0/predictions", content=body, headers=headers)
        check_failure(r, 400, f"{field}: this model takes a table of 30 columns")
        assert r.json()["status"]["reason"] == "MICROSERVICE_BAD_DATA"


def test_feedback_is_accepted_and_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    fb = {
        "request": {"data": {"ndarray": rows(1)}},
        "response": {"data": {"ndarray": [[1]]}},
        "reward": 1.0,
    }
    caplog.set_level("INFO", logger="workbench.serving")
    for path in ("/api/v1.0/feedback", "/send-feedback"):
        r = client.post(path, json=fb, headers={"X-Request-ID": "fb-1"})
        assert r.status_code == 200, r.text
        assert r.json()["meta"]["puid"] == "fb-1"
    r = client.post("/send-feedback", content=form(fb), headers=FORM)
    assert r.status_code == 200, r.text
    assert "reward=1.0" in caplog.text
    check_failure(client.post("/api/v1.0/feedback", json={"reward": "lots"}), 400, "reward")
    check_failure(client.post("/api/v1.0/feedback", json=[1]), 400, "Feedback")
