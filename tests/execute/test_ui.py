"""`workbench ui`: a real MLflow server on 127.0.0.1 over the project's store, then stopped."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from probe_notebooks import isolate_mlflow

from workbench.cli.ui import ui_command
from workbench.core.settings import load_settings
from workbench.core.ui_url import recorded_ui_url, resolve_ui_url, ui_url


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_mlflow(monkeypatch)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_command_points_at_the_project_store(project: Path) -> None:
    argv = ui_command(load_settings(project), "127.0.0.1", 5123)
    assert argv[1:4] == ["-m", "mlflow", "server"]
    assert argv[argv.index("--backend-store-uri") + 1] == f"sqlite:///{project / 'mlflow.db'}"
    assert argv[argv.index("--artifacts-destination") + 1] == (project / "mlartifacts").as_uri()
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "5123"


@pytest.mark.slow
@pytest.mark.integration
def test_ui_serves_the_projects_experiments(project: Path, tmp_path: Path) -> None:
    from workbench.tracking.config import configure

    configure("seen-by-the-ui")  # an experiment in the project's store before the server starts
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    log = (tmp_path / "ui.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "ui", "--port", str(port)],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,  # mlflow starts uvicorn as a child: stop the whole group
    )
    url = f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search?max_results=50"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    body = json.loads(response.read())
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "ui.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        names = {e["name"] for e in body["experiments"]}
        assert "seen-by-the-ui" in names
        # the server and its uvicorn, without MLflow's job runner and huey consumers
        group = _group_commands(proc.pid)
        assert group and not any("huey" in c or "_job_runner" in c for c in group), group
        # and the URL it serves on is recorded for workbench.compare()'s run links
        assert recorded_ui_url(project) == f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


def _group_commands(pgid: int) -> list[str]:
    """The command lines of the live processes in process group `pgid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except (OSError, ProcessLookupError):
                continue  # ended meanwhile
    return found


@pytest.mark.parametrize(("given", "expected"), [(None, "false"), ("true", "true")])
def test_job_execution_is_off_unless_the_environment_asks(
    project: Path, monkeypatch: pytest.MonkeyPatch, given: str | None, expected: str
) -> None:
    from workbench.cli.main import main
    from workbench.core.mlflow_server import JOBS_ENV

    if given is None:
        monkeypatch.delenv(JOBS_ENV, raising=False)
    else:
        monkeypatch.setenv(JOBS_ENV, given)
    seen: dict[str, str | None] = {}

    def execv(path: str, argv: list[str]) -> None:
        seen["jobs"] = os.environ.get(JOBS_ENV)
        raise SystemExit(0)

    monkeypatch.setattr(os, "execv", execv)
    with pytest.raises(SystemExit):
        main(["ui", "--port", str(_free_port())])
    assert seen == {"jobs": expected}


def test_a_taken_port_is_a_clear_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli.main import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as info:
            main(["ui", "--port", str(port)])
    assert info.value.code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_the_recorded_url_is_what_a_local_browser_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ui_url("0.0.0.0", 5001) == "http://127.0.0.1:5001"  # every interface: loopback
    assert ui_url("::1", 5002) == "http://[::1]:5002"
    monkeypatch.delenv("WORKBENCH_UI_URL", raising=False)
    assert resolve_ui_url(tmp_path) == "http://127.0.0.1:5000"  # nothing recorded: MLflow's
    (tmp_path / ".workbench").mkdir()
    (tmp_path / ".workbench" / "ui.json").write_text("{not json")
    assert recorded_ui_url(tmp_path) is None  # a damaged record is ignored, not an error
