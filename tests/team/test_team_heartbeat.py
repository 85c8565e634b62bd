"""A tuning worker SIGKILLed mid-trial on a shared PostgreSQL study (what an evicted or
OOM-killed pod does): the trial it was running does not stay RUNNING. A second worker started
after the heartbeat grace period fails it, records it in MLflow as FAILED with the reason,
re-runs its parameters, and the study ends with the requested number of COMPLETE trials."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.pg_helpers import PgServer, optuna_study

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STUDY = "heartbeat"
TOTAL = 6
HANG_AT = 3  # the first worker's third trial never ends
GRACE = 3

OBJECTIVE = """
import os, time
from pathlib import Path

space = {"x": ("float", -10.0, 10.0), "depth": ("int", 1, 8)}
calls = 0

def objective(params):
    global calls
    calls += 1
    hang = os.environ.get("HANG_MARKER")
    if hang and calls == HANG_AT:
        Path(hang).write_text(repr(params["x"]))  # the test kills this process now
        time.sleep(600)
    return -(params["x"] - 2.0) ** 2 - 0.1 * params["depth"]
""".replace("HANG_AT", str(HANG_AT))


def _worker(root: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "workbench.tuning.worker", "optimize",
         "--objective", "hb_objective", "--study", STUDY, "--trials", str(TOTAL),
         "--study-trials", str(TOTAL), "--experiment", STUDY, "--metric", "score",
         "--heartbeat", "1", "--grace-period", str(GRACE)],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_a_killed_worker_s_trial_is_failed_recorded_and_re_run(
    pg_project: tuple[Path, str], pg_server: PgServer, tmp_path: Path
) -> None:
    from mlflow import MlflowClient

    from workbench.tracking.tuning_runs import PARENT_TAG, study_filter

    root, tracking = pg_project
    storage = pg_server.create_database("optuna")
    code = tmp_path / "code"
    code.mkdir()
    (code / "hb_objective.py").write_text(textwrap.dedent(OBJECTIVE))
    marker = tmp_path / "hanging"
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking, "WORKBENCH_PROJECT": str(root),
           "WORKBENCH_OPTUNA_STORAGE": storage, "PYTHONPATH": str(code)}  # fmt: skip

    first = _worker(root, {**env, "HANG_MARKER": str(marker)})
    deadline = time.monotonic() + 240
    while not marker.exists():
        assert first.poll() is None, first.communicate()[0].decode(errors="replace")[-3000:]
        assert time.monotonic() < deadline, "the first worker never reached its third trial"
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)  # no finally, no atexit: as the kernel ends a pod
    first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL

    with optuna_study(STUDY, storage) as study:
        states = Counter(t.state.name for t in study.get_trials(deepcopy=False))
        (killed,) = [t for t in study.get_trials(deepcopy=False) if t.state.name == "RUNNING"]
    assert states == {"COMPLETE": HANG_AT - 1, "RUNNING": 1}  # what was left RUNNING forever
    assert repr(killed.params["x"]) == marker.read_text()

    time.sleep(GRACE + 1)  # the dead trial's heartbeat is now older than the grace period
    second = _worker(root, env)
    out, _ = second.communicate(timeout=300)
    assert second.returncode == 0, out.decode(errors="replace")[-3000:]

    with optuna_study(STUDY, storage) as study:
        trials = study.get_trials(deepcopy=False)
    states = Counter(t.state.name for t in trials)
    assert states == {"COMPLETE": TOTAL, "FAIL": 1}  # none RUNNING, the requested number done
    failed = next(t for t in trials if t.number == killed.number)
    assert failed.state.name == "FAIL"
    (rerun,) = [t for t in trials if t.system_attrs.get("failed_trial") == killed.number]
    assert rerun.state.name == "COMPLETE" and rerun.params == killed.params

    client = MlflowClient(tracking)
    experiment = client.get_experiment_by_name(STUDY)
    assert experiment is not None
    (parent,) = client.search_runs(
        [experiment.experiment_id], f"tags.`{PARENT_TAG}` = '{STUDY}'", max_results=10
    )
    assert parent.info.status == "FINISHED"
    runs = client.search_runs([experiment.experiment_id], study_filter(STUDY), max_results=100)
    numbers = Counter(int(r.data.tags["optuna.trial_number"]) for r in runs)
    assert numbers == Counter(t.number for t in trials)  # every trial exactly once
    assert {r.data.tags["mlflow.parentRunId"] for r in runs} == {parent.info.run_id}
    by_number = {int(r.data.tags["optuna.trial_number"]): r for r in runs}
    dead = by_number[killed.number]
    assert (
        dead.info.status == "FAILED" and "no heartbeat for 3 s" in dead.data.tags["workbench.error"]
    )
    assert dead.data.params == {k: str(v) for k, v in killed.params.items()}
    assert not [r for r in runs if r.info.status == "RUNNING"]
    assert {r.info.status for n, r in by_number.items() if n != killed.number} == {"FINISHED"}
