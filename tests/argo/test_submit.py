"""`workbench pipeline submit`: dry run, and submission to a tiny Argo-like HTTP server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from argo_helpers import write_files

from tests.project_helpers import http_server
from workbench.cli.main import main
from workbench.deploy.argo_client import ArgoServer
from workbench.emit.argo import ArgoOptions, render_manifests
from workbench.spec.model import PipelineSpec

TOKEN = "s3cr3t-token-value"


class FakeArgo:
    """Records requests; answers with `status` and `body` (Argo's error JSON or the workflow)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.body: dict[str, Any] | None = None


@pytest.fixture
def argo_server() -> Iterator[tuple[str, FakeArgo]]:
    fake = FakeArgo()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.requests.append(
                {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
            )
            reply = fake.body
            if reply is None:
                reply = body["workflow"]
                reply["metadata"]["name"] = reply["metadata"]["generateName"] + "x7k2p"
            data = json.dumps(reply).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    with http_server(Handler) as port:
        yield f"127.0.0.1:{port}", fake


@pytest.fixture
def proj(project: Path, spec: PipelineSpec) -> Path:
    write_files(project / "manifests" / "tiny", render_manifests(spec, ArgoOptions(notebook="nb")))
    (project / "steps" / "tiny").mkdir(parents=True)
    (project / "steps" / "tiny" / "pipeline.json").write_text(spec.to_json())
    return project


def _run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as done:
        main(argv)
    return int(done.value.code or 0)


def test_submit_creates_a_workflow_from_the_template(
    proj: Path,
    argo_server: tuple[str, FakeArgo],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    address, fake = argo_server
    monkeypatch.setenv("ARGO_SERVER", address)
    monkeypatch.setenv("ARGO_SECURE", "false")
    monkeypatch.setenv("ARGO_TOKEN", TOKEN)
    argv = ["pipeline", "submit", "tiny", "--overlay", "staging", "-p", "prefix=0042"]
    code = _run([*argv, "-p", "scale=2", "-p", "cols=('x',)"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "submitted tiny-x7k2p in namespace tiny-staging" in out.out
    (req,) = fake.requests
    assert req["path"] == "/api/v1/workflows/tiny-staging"
    assert req["auth"] == f"Bearer {TOKEN}"
    wf = req["body"]["workflow"]
    assert wf["spec"]["workflowTemplateRef"] == {"name": "tiny"}
    # the texts the local runner hashes: a float 2 is "2.0", a list is its Python literal
    assert wf["spec"]["arguments"]["parameters"] == [
        {"name": "cols", "value": "['x']"},
        {"name": "prefix", "value": "0042"},
        {"name": "scale", "value": "2.0"},
    ]
    assert wf["metadata"]["generateName"] == "tiny-"
    assert TOKEN not in out.out + out.err


def test_bad_parameters_are_refused_before_any_request(
    proj: Path,
    argo_server: tuple[str, FakeArgo],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    address, fake = argo_server
    monkeypatch.setenv("ARGO_SERVER", f"http://{address}")
    monkeypatch.setenv("ARGO_TOKEN", TOKEN)
    assert _run(["pipeline", "submit", "tiny", "--overlay", "staging", "-p", "Scale=2"]) == 1
    err = capsys.readouterr().err
    assert "unknown parameter(s) Scale (known: cols, data_path, flag, n, nothing, opts" in err
    assert _run(["pipeline", "submit", "tiny", "--overlay", "staging", "-p", "n=1.5"]) == 1
    assert "parameter n: '1.5' is not a valid int" in capsys.readouterr().err
    assert fake.requests == []


def test_server_errors_are_shown_plainly(
    proj: Path,
    argo_server: tuple[str, FakeArgo],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    address, fake = argo_server
    fake.status = 404
    fake.body = {"code": 5, "message": 'workflowtemplates.argoproj.io "tiny" not found'}
    monkeypatch.setenv("ARGO_SERVER", f"http://{address}")
    monkeypatch.setenv("ARGO_TOKEN", f"Bearer {TOKEN}")
    code = _run(["pipeline", "submit", "tiny", "--overlay", "production"])
    err = capsys.readouterr().err
    assert code == 1
    assert 'workflowtemplates.argoproj.io "tiny" not found' in err
    assert "refused the workflow" in err and TOKEN not in err
    assert fake.requests[0]["path"] == "/api/v1/workflows/tiny-production"


def test_missing_settings_and_overlays_are_clear(
    proj: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ARGO_SERVER", raising=False)
    monkeypatch.delenv("ARGO_TOKEN", raising=False)
    assert _run(["pipeline", "submit", "tiny", "--overlay", "staging"]) == 1
    assert "ARGO_SERVER and ARGO_TOKEN not set" in capsys.readouterr().err
    assert _run(["pipeline", "submit", "tiny", "--overlay", "qa", "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "overlays/qa: no such overlay (have: production, staging)" in err
    monkeypatch.setenv("ARGO_SERVER", "127.0.0.1:9")
    monkeypatch.setenv("ARGO_SECURE", "false")
    monkeypatch.setenv("ARGO_TOKEN", TOKEN)
    assert _run(["pipeline", "submit", "tiny", "--overlay", "staging"]) == 1
    err = capsys.readouterr().err
    assert "Argo server http://127.0.0.1:9/" in err and TOKEN not in err


def test_dry_run_prints_the_built_overlay(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["pipeline", "submit", "tiny", "--overlay", "production", "--dry-run"]) == 0
    out = capsys.readouterr()
    assert "built with kubectl kustomize" in out.err
    # production's seed names its images and pins none until CI's first promotion: the
    # base's development tag shows through, no `production` tag exists
    assert "image: workbench/tiny-steps:dev" in out.out and ":production" not in out.out
    assert "namespace: tiny-production" in out.out


def test_dry_run_without_kubectl_prints_the_base(
    proj: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(proj / "no-such-bin"))
    assert _run(["pipeline", "submit", "tiny", "--overlay", "staging", "--dry-run"]) == 0
    out = capsys.readouterr()
    assert "kubectl not found" in out.err
    assert "kind: WorkflowTemplate" in out.out and "workbench/tiny-steps:dev" in out.out


@pytest.mark.parametrize(
    ("env", "url", "verify"),
    [
        ({"ARGO_SERVER": "argo:2746"}, "https://argo:2746/", True),
        ({"ARGO_SERVER": "argo:2746", "ARGO_SECURE": "false"}, "http://argo:2746/", True),
        (
            {"ARGO_SERVER": "https://a/x", "ARGO_INSECURE_SKIP_VERIFY": "true"},
            "https://a/x/",
            False,
        ),
    ],
)
def test_server_settings_follow_the_argo_cli(env: dict[str, str], url: str, verify: bool) -> None:
    server = ArgoServer.from_env({**env, "ARGO_TOKEN": "t"})
    assert (server.url, server.verify_ssl) == (url, verify)
