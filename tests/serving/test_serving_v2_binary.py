"""Open Inference binary tensor data, in process: every datatype in, binary and JSON outputs,
sizes checked against the headers and shapes against datatypes, outputs subset, id echoed.

The wire format is built here by hand from the extension's description (JSON header, then
little-endian tensors; BYTES as 4-byte-length-prefixed elements), independent of the server's
own encoder; tests/serving/test_serving_real_clients.py drives it with tritonclient itself.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from serving_helpers import (
    NAME,
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
URL = f"/v2/models/{NAME}/infer"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = write_store_model(tmp_path_factory.mktemp("store"), example_model())
    app = build_app(resolve_source(str(folder), trust_unverified=True), LIMIT, access_log=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def expected(n: int) -> tuple[list[int], np.ndarray]:
    x, _ = training_frame()
    return example_model().predict(x.iloc[:n]).tolist(), example_model().predict_proba(x.iloc[:n])


def binary_request(
    inputs: list[tuple[dict[str, Any], bytes]], **extra: Any
) -> tuple[bytes, dict[str, str]]:
    specs = []
    for spec, raw in inputs:
        specs.append(
            {**spec, "parameters": {**spec.get("parameters", {}), "binary_data_size": len(raw)}}
        )
    head = json.dumps({"inputs": specs, **extra}).encode()
    return head + b"".join(raw for _, raw in inputs), {
        "Inference-Header-Content-Length": str(len(head))
    }


def read_binary(r: Any) -> dict[str, Any]:
    """The response's outputs with binary data decoded back into `data`."""
    n = int(r.headers["inference-header-content-length"])
    doc = json.loads(r.content[:n])
    at = n
    for out in doc["outputs"]:
        size = out.get("parameters", {}).get("binary_data_size")
        if size is None:
            continue
        raw = r.content[at : at + size]
        at += size
        dtype = {"INT64": "<i8", "FP64": "<f8"}[out["datatype"]]
        out["data"] = np.frombuffer(raw, dtype=dtype).tolist()
    assert at == len(r.content)
    return doc


def matrix_input(x: np.ndarray, datatype: str) -> tuple[dict[str, Any], bytes]:
    return {"name": "x", "shape": list(x.shape), "datatype": datatype}, x.tobytes()


@pytest.mark.parametrize("datatype,dtype", [("FP64", "<f8"), ("FP32", "<f4"), ("FP16", "<f2")])
def test_binary_matrix_with_binary_outputs_matches_the_model(
    client: TestClient, datatype: str, dtype: str
) -> None:
    labels, proba = expected(6)
    x = np.asarray(rows(6)).astype(dtype)
    body, headers = binary_request(
        [matrix_input(x, datatype)], id="req-7", parameters={"binary_data_output": True, "x": 1}
    )
    r = client.post(URL, content=body, headers=headers)
    assert r.status_code == 200, r.text
    doc = read_binary(r)
    assert doc["id"] == "req-7"
    got = {o["name"]: o for o in doc["outputs"]}
    if datatype == "FP64":
        assert got["label"]["data"] == labels
        np.testing.assert_allclose(np.reshape(got["proba"]["data"], (6, 2)), proba, rtol=1e-12)
    else:  # the model sees the rounded values the client sent
        x64 = x.astype(np.float64)
        frame = training_frame()[0].iloc[:0].reindex(range(6))
        frame[:] = x64
        assert got["label"]["data"] == example_model().predict(frame).tolist()


def test_binary_inputs_with_json_outputs_and_an_outputs_subset(client: TestClient) -> None:
    labels, proba = expected(3)
    x = np.asarray(rows(3))
    body, headers = binary_request(
        [matrix_input(x, "FP64")], outputs=[{"name": "proba", "parameters": {"binary_data": False}}]
    )
    r = client.post(URL, content=body, headers=headers)
    assert r.status_code == 200 and "inference-header-content-length" not in r.headers
    outs = r.json()["outputs"]
    assert [o["name"] for o in outs] == ["proba"]
    np.testing.assert_allclose(np.reshape(outs[0]["data"], (3, 2)), proba, rtol=1e-12)
    body, headers = binary_request(
        [matrix_input(x, "FP64")], outputs=[{"name": "label", "parameters": {"binary_data": True}}]
    )
    doc = read_binary(client.post(URL, content=body, headers=headers))
    assert [o["name"] for o in doc["outputs"]] == ["label"] and doc["outputs"][0]["data"] == labels


@pytest.mark.parametrize(
    "datatype,dtype", [("INT64", "<i8"), ("INT32", "<i4"), ("UINT8", "<u1"), ("BOOL", "?")]
)
def test_binary_column_tensors_of_integer_and_bool_types(
    client: TestClient, datatype: str, dtype: str
) -> None:
    """One tensor per column, mixing binary integer columns with JSON ones."""
    x = np.asarray(rows(4))
    ints = np.array([1, 0, 1, 0], dtype=dtype)
    inputs = [
        (
            {"name": c, "shape": [4], "datatype": datatype if j == 0 else "FP64"},
            ints.tobytes() if j == 0 else x[:, j].astype("<f8").tobytes(),
        )
        for j, c in enumerate(columns())
    ]
    body, headers = binary_request(inputs)
    r = client.post(URL, content=body, headers=headers)
    assert r.status_code == 200, r.text
    frame = training_frame()[0].iloc[:4].copy()
    frame.iloc[:, 0] = ints.astype(float)
    assert r.json()["outputs"][0]["data"] == example_model().predict(frame).tolist()


def bytes_tensor(values: list[bytes]) -> bytes:
    return b"".join(struct.pack("<I", len(v)) + v for v in values)


def test_bytes_tensor_for_numeric_columns_is_refused_and_bad_bytes_named(
    client: TestClient,
) -> None:
    raw = bytes_tensor([b"1.0"] * 30)
    body, headers = binary_request([({"name": "x", "shape": [1, 30], "datatype": "BYTES"}, raw)])
    r = client.post(URL, content=body, headers=headers)
    assert r.status_code == 400 and "BYTES for numeric columns" in r.json()["error"]
    for raw, words in (
        (bytes_tensor([b"a"] * 29), "29 BYTES elements"),
        (bytes_tensor([b"a"] * 31), "do not match shape"),
        (bytes_tensor([b"a"] * 29) + b"\x05\x00\x00\x00ab", "runs past"),
        (bytes_tensor([b"\xff"] * 30), "not UTF-8"),
    ):
        body, headers = binary_request(
            [({"name": "x", "shape": [1, 30], "datatype": "BYTES"}, raw)]
        )
        r = client.post(URL, content=body, headers=headers)
        assert r.status_code == 400 and words in r.json()["error"], r.text


@pytest.mark.parametrize(
    "spec,raw,words",
    [
        ({"shape": [2, 30], "datatype": "FP64"}, b"\0" * 8 * 59, "needs 480"),
        ({"shape": [1, 30], "datatype": "FP32"}, b"\0" * 8 * 30, "needs 120"),
        ({"shape": [1, 30], "datatype": "FP128"}, b"\0" * 8, "datatype"),
        ({"shape": [1, 30], "datatype": "FP64"}, np.full(30, np.inf).tobytes(), "infinite"),
        ({"shape": [1, 29], "datatype": "FP64"}, b"\0" * 8 * 29, "expected [rows, 30]"),
        ({"shape": [-1, 30], "datatype": "FP64"}, b"\0" * 8 * 30, "non-negative"),
    ],
)
def test_shapes_and_datatypes_are_checked_against_the_bytes(
    client: TestClient, spec: dict[str, Any], raw: bytes, words: str
) -> None:
    body, headers = binary_request([({"name": "x", **spec}, raw)])
    r = client.post(URL, content=body, headers=headers)
    assert r.status_code == 400 and words in r.json()["error"], r.text


def test_header_sizes_that_disagree_are_4xx(client: TestClient) -> None:
    x = np.asarray(rows(1))
    body, headers = binary_request([matrix_input(x, "FP64")])
    n = int(headers["Inference-Header-Content-Length"])
    cases = [
        (body + b"\0" * 8, headers, 400, "follow the JSON header"),
        (body[:-8], headers, 400, "follow the JSON header"),
        (body, {"Inference-Header-Content-Length": str(n - 3)}, 400, "not JSON"),
        (body, {"Inference-Header-Content-Length": str(len(body) + 1)}, 400, "more than the body"),
        (body, {"Inference-Header-Content-Length": "-4"}, 400, "positive whole number"),
        (body, {"Inference-Header-Content-Length": "0"}, 400, "positive whole number"),
    ]
    for content, hdrs, status, words in cases:
        r = client.post(URL, content=content, headers=hdrs)
        assert r.status_code == status and words in r.json()["error"], (words, r.text)
    # binary_data_size sent without the header; and a classification request
    spec = {
        "name": "x",
        "shape": [1, 30],
        "datatype": "FP64",
        "parameters": {"binary_data_size": 240},
    }
    r = client.post(URL, json={"inputs": [spec]})
    assert r.status_code == 400 and "without an Inference-Header-Content-Length" in r.text
    body, headers = binary_request(
        [matrix_input(x, "FP64")], outputs=[{"name": "proba", "parameters": {"classification": 2}}]
    )
    r = client.post(URL, content=body, headers=headers)
    assert r.status_code == 400 and "classification" in r.json()["error"]


def test_server_metadata_names_the_extension(client: TestClient) -> None:
    assert "binary_tensor_data" in client.get("/v2").json()["extensions"]
