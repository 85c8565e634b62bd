"""The protocols' own client libraries, with their defaults, against a real `workbench serve`.

tritonclient[http] (Open Inference: binary tensor data in and out) and seldon-core 1.x's
SeldonClient (form-encoded SeldonMessages to /predict, ndarray and tensor) run in throw-away
venvs (client_venvs.py) and must get the model's own predictions; a malformed request comes
back in each protocol's error format, and the labels must equal what `mlflow models serve` answers
for the same registered model and rows. Also over a raw socket: a binary request whose declared
sizes cannot be right is refused before its body is sent.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from client_venvs import client_python, run_client
from mlflow_models import mlflow_serve
from serving_helpers import (
    NAME,
    Registered,
    ServerProcess,
    columns,
    example_model,
    rows,
    start_server,
    stop_server,
    training_frame,
)

pytestmark = pytest.mark.slow
N = 7  # rows sent by each client, from the middle of the data


@pytest.fixture(scope="session")
def triton_python() -> Path:
    return client_python("triton")


@pytest.fixture(scope="session")
def seldon_python() -> Path:
    return client_python("seldon")


@pytest.fixture(scope="module")
def server(registered_project: Registered) -> Iterator[ServerProcess]:
    proc = start_server(f"models:/{NAME}@champion", registered_project.root)
    yield proc
    stop_server(proc)


@pytest.fixture(scope="module")
def mlflow_labels(registered_project: Registered) -> list[int]:
    """`mlflow models serve` on the same registered model: its /invocations labels for the rows
    the clients send (the reference a user coming from MLflow compares with)."""
    body = {"dataframe_split": {"columns": columns(), "data": rows(N, 100)}}
    for url in mlflow_serve(registered_project.root, f"models:/{NAME}@champion"):
        answer = httpx.post(f"{url}/invocations", json=body, timeout=60)
        assert answer.status_code == 200, answer.text
        return [int(v) for v in answer.json()["predictions"]]
    raise AssertionError("mlflow models serve yielded no URL")


def expected() -> tuple[list[int], np.ndarray]:
    x, _ = training_frame()
    part = x.iloc[100 : 100 + N]
    return example_model().predict(part).tolist(), example_model().predict_proba(part)


def test_tritonclient_defaults_binary_in_and_out(
    server: ServerProcess, triton_python: Path, mlflow_labels: list[int]
) -> None:
    labels, proba = expected()
    assert labels == mlflow_labels
    seen = run_client(
        triton_python,
        "triton_driver.py",
        {
            "url": server.url.removeprefix("http://"),
            "model": NAME,
            "rows": rows(N, 100),
            "columns": columns(),
        },
    )
    assert seen["live"] and seen["ready"] and seen["model_ready"]
    assert "binary_tensor_data" in seen["server"]["extensions"]
    assert [i["name"] for i in seen["metadata"]["inputs"]] == columns()
    assert seen["binary"]["label"] == labels
    np.testing.assert_allclose(seen["binary"]["proba"], proba, rtol=1e-12)
    assert seen["json"]["id"] == "client-7" and seen["json"]["names"] == ["proba"]
    np.testing.assert_allclose(seen["json"]["proba"], proba, rtol=1e-12)
    assert seen["columns"]["label"] == labels
    bad = seen["malformed"]
    assert bad is not None and "expected [rows, 30]" in bad["message"], bad


def test_seldon_client_microservice_ndarray_and_tensor(
    server: ServerProcess, seldon_python: Path, mlflow_labels: list[int]
) -> None:
    labels, proba = expected()
    assert labels == mlflow_labels
    seen = run_client(
        seldon_python,
        "seldon_driver.py",
        {
            "endpoint": server.url.removeprefix("http://"),
            "rows": rows(N, 100),
            "columns": columns(),
        },
    )
    for payload in ("ndarray", "tensor"):
        got = seen[payload]
        assert got["success"], got
        data = got["response"]["data"]
        assert data["names"] == ["label", "proba_0", "proba_1"]
        if payload == "ndarray":
            matrix = np.asarray(data["ndarray"], dtype=float)
        else:
            matrix = np.reshape(data["tensor"]["values"], data["tensor"]["shape"])
        assert matrix[:, 0].astype(int).tolist() == labels
        np.testing.assert_allclose(matrix[:, 1:], proba, rtol=1e-12)
        assert got["response"]["meta"]["tags"]["model_name"] == NAME
    assert seen["feedback"]["success"], seen["feedback"]
    bad = seen["malformed"]
    assert not bad["success"]
    status = bad["response"]["status"]
    assert status["code"] == 400 and status["reason"] == "MICROSERVICE_BAD_DATA"
    assert status["status"] == "FAILURE" and "30 values" in status["info"]


def raw_exchange(server: ServerProcess, head: bytes, content_length: int) -> bytes:
    """Send the request line, headers and only the JSON header of a binary request; what the
    server answers without the rest of the body (a 5 s timeout fails the test)."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            (
                f"POST /v2/models/{NAME}/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Length: {content_length}\r\n"
                f"Inference-Header-Content-Length: {len(head)}\r\n\r\n"
            ).encode()
            + head
        )
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_lying_or_huge_binary_sizes_are_refused_before_the_body(server: ServerProcess) -> None:
    spec = {"name": "input", "shape": [1, 30], "datatype": "FP64"}
    gigabyte = {**spec, "parameters": {"binary_data_size": 1 << 30}}
    head = json.dumps({"inputs": [gigabyte]}).encode()
    answer = raw_exchange(server, head, len(head) + 240)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert b"adds up to 1073741824 bytes, but 240 bytes" in answer
    honest = json.dumps({"inputs": [{**spec, "parameters": {"binary_data_size": 240}}]}).encode()
    answer = raw_exchange(server, honest, len(honest) + (1 << 30))
    assert answer.startswith(b"HTTP/1.1 413"), answer
