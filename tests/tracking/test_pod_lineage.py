"""The pods' lineage commands (`python -m workbench.tracking.pod_lineage`), as the built
WorkflowTemplate runs them: one parent run per workflow, each step a child run that its command
sees as MLFLOW_RUN_ID; a step stopped by SIGTERM ends KILLED, and one whose pod was SIGKILLed
(nothing in it can react) is ended KILLED by the workflow's onExit handler."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.project_helpers import ISOLATED_ENV

pytestmark = [pytest.mark.slow]

SLEEPER = "import pathlib, sys, time; pathlib.Path(sys.argv[1]).touch(); time.sleep(120)"


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    env.update(MLFLOW_TRACKING_URI=f"sqlite:///{root / 'mlflow.db'}", WORKBENCH_PROJECT=str(root))
    return env


def _lineage(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "workbench.tracking.pod_lineage", *args]
    return subprocess.run(cmd, cwd=root, env=_env(root), capture_output=True, text=True)


def _started(root: Path, parent: str, step: str, marker: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "workbench.tracking.pod_lineage", "step", "--parent", parent]
    cmd += ["--step", step, "--", sys.executable, "-c", SLEEPER, str(marker)]
    proc = subprocess.Popen(cmd, cwd=root, env=_env(root))
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the step never started"
        time.sleep(0.2)
    return proc


def test_parent_and_child_runs_and_stopped_pods(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    root = tmp_path
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    out = _lineage(root, "start", "--pipeline", "demo", "--workflow", "demo-x1y2z",
                   "--param", "C=1.0", "--param", "db_password=hunter2",
                   "--output", str(root / "out/parent"))  # fmt: skip
    assert out.returncode == 0, out.stderr
    parent = (root / "out/parent").read_text()
    ok = _lineage(root, "step", "--parent", parent, "--step", "load", "--cache-key", "k1", "--",
                  sys.executable, "-c", "import os; print(os.environ['MLFLOW_RUN_ID'])")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    failing = _lineage(root, "step", "--parent", parent, "--step", "fit", "--",
                       sys.executable, "-c", "raise SystemExit(3)")  # fmt: skip
    assert failing.returncode == 3  # the step's own exit code, for Argo's retry and status
    # SIGTERM (the kubelet stopping the pod) reaches the step through the wrapper
    term = _started(root, parent, "score", root / "score-started")
    term.send_signal(signal.SIGTERM)
    assert term.wait(timeout=120) == 128 + signal.SIGTERM
    # SIGKILL leaves the child run open: the workflow's onExit handler ends it KILLED
    kill = _started(root, parent, "report", root / "report-started")
    kill.send_signal(signal.SIGKILL)
    kill.wait(timeout=60)
    ended = _lineage(root, "end", "--pipeline", "demo", "--workflow", "demo-x1y2z",
                     "--status", "Failed")  # fmt: skip
    assert ended.returncode == 0, ended.stderr

    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("pipeline-demo")
    runs = client.search_runs([experiment.experiment_id])
    by_step = {r.data.tags.get("workbench.step"): r for r in runs}
    top = by_step.pop(None)
    assert top.info.run_id == parent and top.info.status == "FAILED"
    assert top.data.params == {"C": "1.0", "db_password": "***"}  # never a secret's value
    assert {s: r.info.status for s, r in by_step.items()} == {
        "load": "FINISHED", "fit": "FAILED", "score": "KILLED", "report": "KILLED"
    }  # fmt: skip
    assert {r.data.tags["mlflow.parentRunId"] for r in by_step.values()} == {parent}
    assert ok.stdout.strip() == by_step["load"].info.run_id  # MLFLOW_RUN_ID = its child run
    assert by_step["load"].data.tags["workbench.cache_key"] == "k1"
    assert "hunter2" not in (out.stdout + out.stderr)


def test_end_refuses_a_name_that_is_not_an_argo_workflow_name(tmp_path: Path) -> None:
    out = _lineage(tmp_path, "end", "--pipeline", "demo", "--workflow", "x' OR '1'='1",
                   "--status", "Failed")  # fmt: skip
    assert out.returncode != 0 and "not an Argo workflow name" in out.stderr
