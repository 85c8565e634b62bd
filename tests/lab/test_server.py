"""The server extension in a real `jupyter server` on 127.0.0.1: authentication, answers for
broken notebooks and client mistakes (never a 5xx), and productionize / run as streamed jobs.

One server per module; its root is a throw-away project with its own tracking store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compiler import notebooks
from tests.project_helpers import ISOLATED_ENV, make_project, terminate

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]
TOKEN = "workbench-lab-test"

# A small pipeline of another domain (inventory), with an untagged cell joining a step.
INVENTORY: list[notebooks.Cell] = [
    (["parameters"], "reorder_level = 5\nwarehouse = 'north'"),
    (["step:stock"], "stock = {'bolts': 3, 'nuts': 12, 'gears': 4}"),
    ([], "stock['washers'] = 9  # untagged: joins step stock"),
    (["step:reorder"], "to_order = sorted(k for k, v in stock.items() if v < reorder_level)"),
    (["skip"], "to_order"),
]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, url: str, root: Path) -> None:
        self.url = url
        self.root = root

    def call(
        self, method: str, path: str, body: object = None, token: str | None = TOKEN
    ) -> tuple[int, Any]:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body))
        request = urllib.request.Request(
            self.url + path,
            data=data.encode() if isinstance(data, str) else data,
            method=method,
            headers={"Authorization": f"token {token}"} if token else {},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            text = exc.read()
            try:
                return exc.code, json.loads(text)
            except ValueError:
                return exc.code, text.decode(errors="replace")

    def wait_job(self, job: dict[str, Any], limit: float = 300) -> tuple[dict[str, Any], list[str]]:
        lines = list(job["lines"])
        deadline = time.monotonic() + limit
        while job["state"] == "running":
            assert time.monotonic() < deadline, lines
            time.sleep(0.5)
            status, job = self.call("GET", f"/workbench/jobs/{job['id']}?since={job['next']}")
            assert status == 200
            lines += job["lines"]
        return job, lines


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    scratch = tmp_path_factory.mktemp("lab-server")
    root = make_project(scratch / "proj")
    notebooks.write(notebooks.build(INVENTORY), root / "notebooks" / "inventory.ipynb")
    (root / "notebooks" / "broken.ipynb").write_text('{"cells": [')
    (root / "notes.txt").write_text("not a notebook")
    config = scratch / "config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"workbench.lab": True}}})
    )
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    env.update(
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_RUNTIME_DIR=str(scratch / "runtime"),
        MLFLOW_TRACKING_URI=f"sqlite:///{root / 'mlflow.db'}",
    )
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        *(["--allow-root"] if os.geteuid() == 0 else []),
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={root}",
    ]
    log_path = scratch / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.5)
        yield Server(url, root)
    finally:
        terminate(proc, timeout=20)
    assert "Traceback" not in log_path.read_text(), log_path.read_text()[-3000:]


def test_pipeline_answer_needs_the_token(server: Server) -> None:
    status, _ = server.call("GET", "/workbench/pipeline?path=notebooks/inventory.ipynb", token=None)
    assert status == 403
    status, _ = server.call(
        "GET", "/workbench/pipeline?path=notebooks/inventory.ipynb", token="wrong"
    )
    assert status == 403


def test_pipeline_of_a_notebook(server: Server) -> None:
    status, body = server.call("GET", "/workbench/pipeline?path=notebooks/inventory.ipynb")
    assert status == 200 and body["ok"], body
    assert [s["name"] for s in body["steps"]] == ["stock", "reorder"]
    reorder = body["steps"][1]
    assert reorder["inputs"] == [{"name": "stock", "from": "stock"}]
    assert reorder["params"] == ["reorder_level"]
    assert {p["name"] for p in body["parameters"]} == {"reorder_level", "warehouse"}
    roles = {c["id"]: (c["role"], c["step"]) for c in body["cells"]}
    assert roles["cell-2"] == ("step", "stock") and roles["cell-4"][0] == "skip"
    assert body["stale"]["generated"] is False


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("?path=notebooks/missing.ipynb", 404),
        ("?path=notes.txt", 400),
        ("?path=../../../etc/passwd.ipynb", 403),
        ("?path=%2Fetc%2Fx.ipynb", 404),
    ],
)
def test_client_mistakes_are_4xx_with_a_message(server: Server, query: str, status: int) -> None:
    got, body = server.call("GET", f"/workbench/pipeline{query}")
    assert got == status and body["message"], body


def test_broken_notebook_is_an_answer_not_a_500(server: Server) -> None:
    status, body = server.call("GET", "/workbench/pipeline?path=notebooks/broken.ipynb")
    assert status == 200 and body["ok"] is False
    assert "not a valid .ipynb notebook" in body["diagnostics"][0]["message"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        ([1, 2], 400),
        ({"action": "deploy", "path": "notebooks/inventory.ipynb"}, 400),
        ({"action": "run", "path": "notebooks/missing.ipynb"}, 404),
        ({"action": "run"}, 400),
    ],
)
def test_bad_job_requests(server: Server, body: object, status: int) -> None:
    got, answer = server.call("POST", "/workbench/jobs", body)
    assert got == status and answer["message"], answer


def test_unknown_job_is_404(server: Server) -> None:
    assert server.call("GET", "/workbench/jobs/999999")[0] == 404
    assert server.call("GET", "/workbench/jobs/1?since=x")[0] in (400, 404)


def test_productionize_then_run_then_stale(server: Server) -> None:
    path = "notebooks/inventory.ipynb"
    status, job = server.call("POST", "/workbench/jobs", {"action": "productionize", "path": path})
    assert status == 201 and job["command"] == f"workbench productionize {path}"
    # a second job on the same notebook while the first runs is refused, not queued
    if job["state"] == "running":
        again, answer = server.call("POST", "/workbench/jobs", {"action": "run", "path": path})
        assert again in (201, 409), answer
        if again == 201:
            server.wait_job(answer)
    job, lines = server.wait_job(job)
    assert job["state"] == "succeeded", lines
    assert any("wrote" in line for line in lines)
    assert (server.root / "steps" / "inventory" / "pipeline.json").is_file()
    _, body = server.call("GET", f"/workbench/pipeline?path={path}")
    assert body["stale"]["generated"] and not body["stale"]["stale"], body["stale"]

    status, job = server.call("POST", "/workbench/jobs", {"action": "run", "path": path})
    assert status == 201 and job["command"] == "workbench pipeline run inventory --lineage wait"
    job, lines = server.wait_job(job)
    assert job["state"] == "succeeded" and job["returncode"] == 0, lines
    text = "\n".join(lines)
    assert "stock" in text and "reorder" in text
    # the pipeline's MLflow run, linked through the MLflow UI's direct run page
    run = job["links"]["runs"][0]
    assert run["pipeline"] and run["url"].startswith("http://127.0.0.1:5000/#/experiments/")
    assert run["url"].endswith(f"/runs/{run['id']}")
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{server.root / 'mlflow.db'}")
    assert client.get_run(run["id"]).info.run_id == run["id"]

    status, job = server.call("POST", "/workbench/jobs", {"action": "verify", "path": path})
    assert status == 201 and job["command"] == f"workbench productionize {path} --verify"
    job, lines = server.wait_job(job)
    assert job["state"] == "succeeded", lines
    assert any("verified" in line for line in lines), lines

    nb_path = server.root / path
    nb = json.loads(nb_path.read_text())
    nb["cells"][3]["source"] = (
        "to_order = sorted(k for k, v in stock.items() if v <= reorder_level)"
    )
    nb_path.write_text(json.dumps(nb))
    _, body = server.call("GET", f"/workbench/pipeline?path={path}")
    assert body["stale"]["stale"] is True
    assert "steps/inventory/reorder.py" in body["stale"]["files"], body["stale"]
