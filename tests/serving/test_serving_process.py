"""Against one real `python -m workbench serve` process (module-scoped), on 127.0.0.1.

Also: refusal to start on a tampered file, graceful drain on SIGTERM, several workers.
"""

from __future__ import annotations

import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from serving_helpers import (
    NAME,
    REPO,
    Registered,
    ServerProcess,
    columns,
    example_model,
    rows,
    start_server,
    stop_server,
    training_frame,
    write_store_model,
)

from workbench.core.hashing import sha256_file


@pytest.fixture(scope="module")
def server(registered_project: Registered) -> Iterator[ServerProcess]:
    proc = start_server(
        f"models:/{NAME}@champion", registered_project.root, "--max-body-bytes", "100000"
    )
    yield proc
    stop_server(proc)


@pytest.fixture(scope="module")
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def test_binds_loopback_and_serves_every_protocol(
    server: ServerProcess, http: httpx.Client
) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    x, _ = training_frame()
    labels = example_model().predict(x.iloc[:3]).tolist()
    seldon = http.post(
        "/api/v1.0/predictions", json={"data": {"names": columns(), "ndarray": rows(3)}}
    )
    assert [r[0] for r in seldon.json()["data"]["ndarray"]] == labels
    assert seldon.json()["meta"]["tags"]["model_alias"] == "champion"
    assert http.post("/predict", json={"data": {"ndarray": rows(3)}}).status_code == 200
    v2 = http.post(
        f"/v2/models/{NAME}/infer",
        json={"inputs": [{"name": "x", "shape": [3, 30], "datatype": "FP64", "data": rows(3)}]},
    )
    assert v2.json()["outputs"][0]["data"] == labels
    inv = http.post(
        "/invocations", json={"dataframe_split": {"columns": columns(), "data": rows(3)}}
    )
    assert inv.json() == {"predictions": labels}
    for path in ("/health/ping", "/health/status", "/api/v1.0/metadata", "/v2", "/v2/health/live",
                 "/v2/health/ready", f"/v2/models/{NAME}", f"/v2/models/{NAME}/ready", "/ping",
                 "/metrics"):  # fmt: skip
        assert http.get(path).status_code == 200, path


def test_errors_over_the_wire(http: httpx.Client) -> None:
    hdr = {"content-type": "application/json"}
    bad = http.post("/api/v1.0/predictions", content=b"{", headers=hdr)
    assert bad.status_code == 400 and bad.json()["status"]["status"] == "FAILURE"
    assert http.post("/v2/models/other/infer", json={}).status_code == 404
    wrong = http.post("/invocations", json={"dataframe_split": {"columns": ["a"], "data": [[1]]}})
    assert wrong.status_code == 400 and "dataframe_split.columns" in wrong.json()["message"]
    assert http.post("/invocations", content=b"x" * 200_000, headers=hdr).status_code == 413


def test_streamed_body_over_the_limit_is_413_and_the_server_lives(
    server: ServerProcess, http: httpx.Client
) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"1," * 10_000
        try:
            for _ in range(20):  # 400 kB, four times the limit, no Content-Length
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the server may close once it has answered
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert http.get("/v2/health/live").status_code == 200


def test_request_id_echo_and_structured_access_log(
    server: ServerProcess, http: httpx.Client
) -> None:
    r = http.post("/invocations", json={"inputs": rows(2)}, headers={"X-Request-ID": "trace-77"})
    assert r.headers["x-request-id"] == "trace-77"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in server.log().splitlines() if '"access"' in line]
        hit = [line for line in lines if line["request_id"] == "trace-77"]
        if hit:
            break
        time.sleep(0.05)
    assert (
        hit and hit[0]["status"] == 200 and hit[0]["rows"] == 2 and hit[0]["path"] == "/invocations"
    )
    start = next(json.loads(ln) for ln in server.log().splitlines() if '"start"' in ln)
    assert start["version"] == "1" and start["alias"] == "champion" and start["verified"]
    # a child process resolved the alias with mlflow; the server itself never imported it
    assert start["mlflow_imported"] is False and hit[0]["pid"] == server.proc.pid


def test_bounded_burst_of_random_bodies_gets_no_5xx(
    server: ServerProcess, http: httpx.Client
) -> None:
    rng = random.Random(7)
    good = json.dumps({"inputs": rows(1)}).encode()
    pid = server.proc.pid

    def body(i: int) -> tuple[str, bytes]:
        route = rng.choice(["/api/v1.0/predictions", f"/v2/models/{NAME}/infer", "/invocations"])
        kind = i % 4
        if kind == 0:
            return route, bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
        if kind == 1:
            return route, good[: rng.randint(0, len(good))]
        if kind == 2:
            return route, json.dumps(
                {"data": {"ndarray": [[rng.random()] * rng.randint(0, 40)]}}
            ).encode()
        return "/invocations", good

    bodies = [body(i) for i in range(400)]

    def send(item: tuple[str, bytes]) -> int:
        return http.post(
            item[0], content=item[1], headers={"content-type": "application/json"}
        ).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(send, bodies))
    assert time.monotonic() - started < 60
    assert all(c < 500 for c in codes), sorted(set(codes))
    assert codes.count(200) >= 100
    assert server.proc.poll() is None and server.proc.pid == pid
    assert http.get("/v2/health/ready").status_code == 200


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", "serve", *args, "--port", "0"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )


def test_tampered_file_makes_the_server_refuse_to_start(tmp_path: Path) -> None:
    folder = write_store_model(tmp_path / "models", example_model())
    pkl = folder / "model.pkl"
    recorded = sha256_file(pkl)
    data = bytearray(pkl.read_bytes())
    data[-2] ^= 1
    pkl.write_bytes(bytes(data))
    done = run_cli(str(folder), "--trust-unverified", cwd=tmp_path)
    assert done.returncode != 0
    assert str(pkl) in done.stderr and recorded in done.stderr and sha256_file(pkl) in done.stderr
    assert "Traceback" not in done.stderr


def test_tampered_registered_file_makes_the_server_refuse_to_start(
    registered_project: Registered, tmp_path: Path
) -> None:
    import mlflow

    from workbench.models.store import STORE_URI_TAG

    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("model.pkl", "model.json"):
        (copy / name).write_bytes((registered_project.store_folder / name).read_bytes())
    recorded = sha256_file(copy / "model.pkl")
    data = bytearray((copy / "model.pkl").read_bytes())
    data[-2] ^= 1
    (copy / "model.pkl").write_bytes(bytes(data))
    client = mlflow.MlflowClient()
    version = registered_project.version
    client.set_model_version_tag(NAME, version, STORE_URI_TAG, str(copy / "model.pkl"))
    try:
        done = run_cli(f"models:/{NAME}/{version}", cwd=registered_project.root)
    finally:
        client.set_model_version_tag(
            NAME, version, STORE_URI_TAG, str(registered_project.store_folder / "model.pkl")
        )
    assert done.returncode != 0
    assert str(copy / "model.pkl") in done.stderr and recorded in done.stderr
    assert sha256_file(copy / "model.pkl") in done.stderr and "Traceback" not in done.stderr


def test_unknown_alias_is_a_clean_cli_error(registered_project: Registered) -> None:
    done = run_cli(f"models:/{NAME}@nobody", cwd=registered_project.root)
    assert done.returncode != 0, done.stderr
    assert "error: models:/breast-cancer@nobody: no such registered model version" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_model_is_a_clean_cli_error(tmp_path: Path) -> None:
    done = run_cli(str(tmp_path / "missing"), cwd=tmp_path)
    assert done.returncode != 0 and done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr


def _slow_model(marker: Path) -> Any:
    """The example pipeline behind a step that, when the first value is -999, creates `marker`
    (so the test knows the request is inside the model) and sleeps 1.5 s."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    def maybe_sleep(x: Any) -> Any:
        import time as _t

        if float(np.asarray(x)[0, 0]) == -999.0:
            marker.touch()
            _t.sleep(1.5)
        return x

    inner = example_model()
    step = FunctionTransformer(maybe_sleep, feature_names_out="one-to-one")
    x, y = training_frame()
    return Pipeline([("slow", step), ("model", inner)]).fit(x, y)


@pytest.mark.slow
def test_sigterm_drains_the_in_flight_request(tmp_path: Path) -> None:
    marker = tmp_path / "inside-the-model"
    folder = write_store_model(tmp_path / "models", _slow_model(marker))
    server = start_server(str(folder), tmp_path, "--trust-unverified")
    slow_row = rows(1)
    slow_row[0][0] = -999.0
    result: dict[str, Any] = {}

    def call() -> None:
        with httpx.Client(timeout=30) as client:
            r = client.post(f"{server.url}/invocations", json={"inputs": slow_row})
            result["status"], result["body"] = r.status_code, r.json()

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 30
    while (
        not marker.exists()
    ):  # wait until the request is inside the model, however busy the machine
        assert time.monotonic() < deadline and thread.is_alive(), result
        time.sleep(0.02)
    server.proc.send_signal(signal.SIGTERM)
    thread.join(timeout=30)
    assert result.get("status") == 200 and len(result["body"]["predictions"]) == 1
    # uvicorn finishes the drain, then re-raises the captured SIGTERM: exit by that signal
    assert server.proc.wait(timeout=30) in (0, -signal.SIGTERM)


@pytest.mark.slow
def test_several_workers_share_metrics(tmp_path: Path) -> None:
    folder = write_store_model(tmp_path / "models", example_model())
    server = start_server(
        str(folder), tmp_path, "--trust-unverified", "--workers", "2", "--no-access-log"
    )
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for _ in range(30):  # a new connection each time, so both workers get some
                r = http.post(
                    "/invocations", json={"inputs": rows(1)}, headers={"Connection": "close"}
                )
                assert r.status_code == 200
            text = http.get("/metrics").text
        line = next(
            ln for ln in text.splitlines()
            if ln.startswith('workbench_requests_total{route="invocations",status="200"}')
        )  # fmt: skip
        assert float(line.split()[-1]) == 30.0
    finally:
        assert stop_server(server) in (0, -signal.SIGTERM)
