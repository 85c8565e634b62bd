"""`pipeline submit` checks and normalises parameters like the local runner; `--wait`, `status`
and `logs` read the Argo Server API. The server replays recorded response shapes (argo_api/)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from argo_helpers import write_files

from tests.project_helpers import http_server
from workbench.cli.main import main
from workbench.emit.argo import ArgoOptions, render_manifests
from workbench.runner.plan import RunOptions, plan_run
from workbench.spec.model import PipelineSpec

RECORDED = Path(__file__).parent / "argo_api"


class Replay:
    """POST answers the created workflow; GETs of it answer `snapshots` in turn (the last one
    repeats); the log endpoint answers the recorded stream."""

    def __init__(self, snapshots: list[str]) -> None:
        self.snapshots = [(RECORDED / s).read_text() for s in snapshots]
        self.requests: list[tuple[str, str, dict[str, Any]]] = []


@pytest.fixture
def replay() -> Iterator[tuple[str, Replay]]:
    state = Replay(["workflow-running.json", "workflow-running.json", "workflow-failed.json"])

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, data: str, kind: str = "application/json") -> None:
            raw = data.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(("POST", self.path, body))
            self._send(200, state.snapshots[0])

        def do_GET(self) -> None:
            url = urlparse(self.path)
            state.requests.append(("GET", url.path, parse_qs(url.query)))
            if url.path.endswith("/log"):
                self._send(200, (RECORDED / "log-left-branch.ndjson").read_text())
            elif url.path == "/api/v1/workflows/tiny-staging/tiny-x7k2p":
                gets = sum(1 for r in state.requests if r[0] == "GET" and r[1] == url.path)
                self._send(200, state.snapshots[min(gets, len(state.snapshots)) - 1])
            else:
                self._send(404, json.dumps({"code": 5, "message": "not found"}))

        def log_message(self, *args: Any) -> None:
            pass

    with http_server(Handler) as port:
        yield f"http://127.0.0.1:{port}", state


@pytest.fixture
def proj(project: Path, spec: PipelineSpec, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_files(project / "manifests" / "tiny", render_manifests(spec, ArgoOptions(notebook="nb")))
    monkeypatch.setenv("ARGO_TOKEN", "tok")
    return project


def _run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as done:
        main(argv)
    return int(done.value.code or 0)


def test_submit_sends_the_local_runners_parameter_texts(
    proj: Path, spec: PipelineSpec, replay: tuple[str, Replay], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, state = replay
    monkeypatch.setenv("ARGO_SERVER", url)
    given = ["scale=1", "n=007", "flag=yes", "prefix=007"]
    assert (
        _run(
            [
                "pipeline",
                "submit",
                "tiny",
                "--overlay",
                "staging",
                *[arg for g in given for arg in ("-p", g)],
            ]
        )
        == 0
    )
    sent = {
        p["name"]: p["value"]
        for p in state.requests[0][2]["workflow"]["spec"]["arguments"]["parameters"]
    }
    local = plan_run(spec, RunOptions(overrides=tuple(given))).param_texts
    assert sent == {k: local[k] for k in sent}
    assert sent == {"scale": "1.0", "n": "7", "flag": "True", "prefix": "007"}


def test_submit_refuses_an_unknown_name_listing_the_known_ones(
    proj: Path,
    replay: tuple[str, Replay],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, state = replay
    monkeypatch.setenv("ARGO_SERVER", url)
    assert _run(["pipeline", "submit", "tiny", "--overlay", "staging", "-p", "scael=2"]) != 0
    err = capsys.readouterr().err
    assert "unknown parameter(s) scael (known: cols, data_path, flag, n, nothing" in err
    assert state.requests == []  # nothing sent


def test_submit_notebook_template_names_it(
    proj: Path, replay: tuple[str, Replay], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, state = replay
    monkeypatch.setenv("ARGO_SERVER", url)
    assert _run(["pipeline", "submit", "tiny", "--overlay", "staging", "--template", "notebook",
                 "-p", "flag=false"]) == 0  # fmt: skip
    workflow = state.requests[0][2]["workflow"]
    assert workflow["spec"]["workflowTemplateRef"] == {"name": "tiny-notebook"}
    assert workflow["spec"]["arguments"]["parameters"] == [{"name": "flag", "value": "False"}]


def test_wait_on_a_failing_workflow_prints_the_step_and_its_log_tail(
    proj: Path,
    replay: tuple[str, Replay],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, state = replay
    monkeypatch.setenv("ARGO_SERVER", url)
    monkeypatch.setattr("workbench.deploy.watch.time.sleep", lambda s: None)
    code = _run(["pipeline", "submit", "tiny", "--overlay", "staging", "--wait"])
    out = capsys.readouterr().out
    assert code == 1
    assert "load: Succeeded" in out and "left-branch: Running" in out
    assert "left-branch: Failed (exit code 1: Error (exit code 1))" in out
    assert "step left-branch failed with exit code 1" in out
    assert "| ZeroDivisionError: float division by zero" in out
    (log_request,) = [r for r in state.requests if r[1].endswith("/log")]
    assert log_request[2]["podName"] == ["tiny-x7k2p-step-left-branch-1151243371"]
    assert log_request[2]["logOptions.container"] == ["main"]
    assert out.index("load: Succeeded") < out.index("left-branch: Failed")


def test_status_and_logs(
    proj: Path,
    replay: tuple[str, Replay],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, state = replay
    monkeypatch.setenv("ARGO_SERVER", url)
    state.snapshots = [state.snapshots[-1]]
    assert _run(["pipeline", "status", "tiny-x7k2p", "--namespace", "tiny-staging"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "workflow tiny-x7k2p: Failed"
    assert "  left-branch: Failed (exit code 1" in out
    assert _run(["pipeline", "logs", "tiny-x7k2p", "--namespace", "tiny-staging",
                 "--step", "left-branch"]) == 0  # fmt: skip
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert _run(["pipeline", "logs", "tiny-x7k2p", "--namespace", "tiny-staging",
                 "--step", "nope"]) != 0  # fmt: skip
    assert "have: left-branch, load" in capsys.readouterr().err
