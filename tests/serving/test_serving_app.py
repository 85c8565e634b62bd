"""Every route and error case, in process (Starlette's TestClient), on the example model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
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


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = write_store_model(tmp_path_factory.mktemp("store"), example_model())
    app = build_app(resolve_source(str(folder), trust_unverified=True), LIMIT, access_log=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def expected(n: int) -> tuple[list[int], np.ndarray]:
    x, _ = training_frame()
    model = example_model()
    return model.predict(x.iloc[:n]).tolist(), model.predict_proba(x.iloc[:n])


def test_seldon_predictions_match_the_model_and_carry_meta(client: TestClient) -> None:
    labels, proba = expected(5)
    body = {"data": {"names": columns(), "ndarray": rows(5)}, "meta": {"tags": {"team": "a"}}}
    for path in ("/api/v1.0/predictions", "/predict"):
        r = client.post(path, json=body, headers={"X-Request-ID": "req-42"})
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["data"]["names"] == ["label", "proba_0", "proba_1"]
        got = np.array(out["data"]["ndarray"])
        assert got[:, 0].tolist() == labels
        np.testing.assert_allclose(got[:, 1:], proba, rtol=1e-12)
        assert out["meta"]["puid"] == "req-42" and r.headers["x-request-id"] == "req-42"
        assert out["meta"]["tags"] == {
            "team": "a",
            "model_name": NAME,
            "model_version": "1",
            "model_alias": "",
        }


def test_seldon_tensor_and_json_data(client: TestClient) -> None:
    labels, _ = expected(3)
    flat = [v for r in rows(3) for v in r]
    r = client.post(
        "/api/v1.0/predictions", json={"data": {"tensor": {"shape": [3, 30], "values": flat}}}
    )
    tensor = r.json()["data"]["tensor"]
    assert tensor["shape"] == [3, 3]
    assert [int(v) for v in tensor["values"][::3]] == labels
    records = [dict(zip(columns(), row, strict=True)) for row in rows(3)]
    out = client.post("/api/v1.0/predictions", json={"jsonData": records}).json()
    assert [row[0] for row in out["jsonData"]["ndarray"]] == labels


def test_a_thousand_row_batch_runs_and_matches(client: TestClient) -> None:
    x, _ = training_frame()
    big = np.tile(np.asarray(x, dtype=float), (2, 1))[:1000]
    r = client.post("/invocations", json={"inputs": big.tolist()})
    assert r.status_code == 200
    assert (
        r.json()["predictions"]
        == example_model().predict(x.__class__(big, columns=x.columns)).tolist()
    )


def test_seldon_metadata_and_health(client: TestClient) -> None:
    assert client.get("/health/ping").text == "pong"
    status = client.get("/health/status").json()
    assert status["status"] == "ok" and status["model_name"] == NAME
    meta = client.get("/api/v1.0/metadata").json()
    assert meta["inputs"][0]["schema"]["names"] == columns()
    assert meta["outputs"][0]["schema"]["names"] == ["label", "proba_0", "proba_1"]


def test_v2_routes(client: TestClient) -> None:
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").json() == {"ready": True}
    assert client.get("/v2").json()["name"] == "workbench"
    meta = client.get(f"/v2/models/{NAME}").json()
    assert [i["name"] for i in meta["inputs"]] == columns()
    assert meta["outputs"][1] == {"name": "proba", "datatype": "FP64", "shape": [-1, 2]}
    assert client.get(f"/v2/models/{NAME}/ready").json()["ready"] is True
    assert client.get(f"/v2/models/{NAME}/versions/1").status_code == 200
    labels, proba = expected(4)
    body = {
        "id": "abc",
        "inputs": [{"name": "x", "shape": [4, 30], "datatype": "FP64", "data": rows(4)}],
    }
    out = client.post(f"/v2/models/{NAME}/infer", json=body).json()
    assert out["id"] == "abc" and out["model_name"] == NAME
    assert out["outputs"][0]["data"] == labels
    np.testing.assert_allclose(np.reshape(out["outputs"][1]["data"], (4, 2)), proba)
    per_column = {
        "inputs": [
            {"name": c, "shape": [4], "datatype": "FP64", "data": [r[i] for r in rows(4)]}
            for i, c in enumerate(columns())
        ],
        "outputs": [{"name": "label"}],
    }
    r = client.post(f"/v2/models/{NAME}/versions/1/infer", json=per_column)
    assert [o["name"] for o in r.json()["outputs"]] == ["label"]
    assert r.json()["outputs"][0]["data"] == labels


def test_mlflow_scoring_formats(client: TestClient) -> None:
    labels, proba = expected(3)
    records = [dict(zip(columns(), row, strict=True)) for row in rows(3)]
    bodies: list[dict[str, Any]] = [
        {"dataframe_split": {"columns": columns(), "data": rows(3)}},
        {"dataframe_records": records},
        {"instances": records},
        {"inputs": rows(3)},
        {"inputs": {c: [r[i] for r in rows(3)] for i, c in enumerate(columns())}},
    ]
    for body in bodies:
        r = client.post("/invocations", json=body)
        assert r.status_code == 200 and r.json() == {"predictions": labels}, r.text
    r = client.post(
        "/invocations", json={"inputs": rows(3), "params": {"predict_method": "predict_proba"}}
    )
    np.testing.assert_allclose(r.json()["predictions"], proba)
    assert client.get("/ping").status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "status", "needle"),
    [
        ("/api/v1.0/predictions", b"{nope", 400, "malformed JSON"),
        ("/api/v1.0/predictions", b"", 400, "malformed JSON"),
        (
            "/api/v1.0/predictions",
            b'{"data": {"ndarray": [[1, 2]]}}',
            400,
            "data.ndarray[0]: expected a row of 30",
        ),
        ("/api/v1.0/predictions", b'{"data": {"ndarray": [[1e999]]}}', 400, "infinity"),
        (f"/v2/models/{NAME}/infer", b"[]", 400, "inputs"),
        ("/v2/models/other/infer", b"{}", 404, "model 'other' not found"),
        (f"/v2/models/{NAME}/versions/9/infer", b"{}", 404, "version 9"),
        ("/invocations", b'{"columns": []}', 400, "exactly one of"),
    ],
)
def test_client_mistakes_get_4xx_in_the_protocols_format(
    client: TestClient, path: str, body: bytes, status: int, needle: str
) -> None:
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert needle in r.text
    if path.startswith("/api"):
        assert r.json()["status"]["status"] == "FAILURE" and r.json()["status"]["code"] == status
    elif path.startswith("/v2"):
        assert "error" in r.json()
    else:
        assert r.json()["error_code"] == "BAD_REQUEST"


def test_unknown_model_metadata_route_and_method(client: TestClient) -> None:
    assert client.get("/v2/models/nope").status_code == 404
    assert client.get("/nowhere").status_code == 404
    assert client.get("/api/v1.0/predictions").status_code == 405
    assert (
        client.post(
            "/invocations", content=b"a,b\n1,2\n", headers={"content-type": "text/csv"}
        ).status_code
        == 415
    )


def test_body_limit_by_content_length_and_by_streamed_size(client: TestClient) -> None:
    big = b'{"inputs": [' + b"1," * LIMIT + b"1]}"
    r = client.post("/invocations", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error_code"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: only the streamed size can tell
        yield b'{"inputs": ['
        for _ in range(LIMIT // 1000):
            yield b"1," * 1000
        yield b"1]}"

    r = client.post("/api/v1.0/predictions", content=chunks())
    assert r.status_code == 413 and r.json()["status"]["reason"] == "PAYLOAD_TOO_LARGE"


def test_request_id_is_generated_or_echoed_and_never_unsafe(client: TestClient) -> None:
    a = client.get("/health/ping").headers["x-request-id"]
    b = client.get("/health/ping").headers["x-request-id"]
    assert a != b and len(a) == 32
    bad = client.get("/health/ping", headers={"X-Request-ID": "x y"}).headers["x-request-id"]
    assert bad != "x y"


def test_metrics_count_requests_by_route_and_status(client: TestClient) -> None:
    def count(text: str, route: str, status: str) -> float:
        key = f'workbench_requests_total{{route="{route}",status="{status}"}}'
        for line in text.splitlines():
            if line.startswith(key):
                return float(line.split()[-1])
        return 0.0

    before = client.get("/metrics").text
    client.post("/invocations", json={"inputs": rows(7)})
    client.post("/invocations", content=b"{", headers={"content-type": "application/json"})
    after = client.get("/metrics").text
    assert count(after, "invocations", "200") == count(before, "invocations", "200") + 1
    assert count(after, "invocations", "400") == count(before, "invocations", "400") + 1
    assert 'workbench_batch_rows_bucket{le="10.0",route="invocations"}' in after
    assert "workbench_request_seconds_bucket" in after


def test_store_path_to_model_pkl_is_accepted(tmp_path: Path) -> None:
    folder = write_store_model(tmp_path, example_model())
    source = resolve_source(str(folder / "model.pkl"), trust_unverified=True)
    assert source.name == NAME and source.version == "1" and source.signature
