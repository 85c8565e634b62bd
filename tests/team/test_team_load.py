"""Many clients through one `workbench server`, and a server restart in the middle of a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.team.server_helpers import TrackingServer
from workbench.core.mlflow_schema import RUNS, sql_engine

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# retry long enough to outlast a restart of the server (MLflow allows at most 10 retries;
# urllib3 doubles the wait from 2 s up to 120 s: about 8 minutes in all)
RETRY_ENV = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "10", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "2"}


def _names(backend: str, experiment_id: str, status: str | None = "FINISHED") -> Counter[str]:
    """Run names in the experiment (read straight from PostgreSQL), of runs in `status`."""
    engine = sql_engine(backend)
    assert engine is not None
    query = sa.select(RUNS.c.name).where(RUNS.c.experiment_id == int(experiment_id))
    if status is not None:
        query = query.where(RUNS.c.status == status)
    with engine.connect() as conn:
        return Counter(str(name) for name in conn.scalars(query))


def _worker(server: TrackingServer, experiment_id: str, prefix: str, n: int, pause: float = 0):
    return subprocess.Popen(
        [sys.executable, "-m", "tests.team.load_worker", server.url, experiment_id, prefix,
         str(n), str(pause)],
        env={**os.environ, **RETRY_ENV, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_four_processes_log_500_runs_each_through_the_server(team_server: TrackingServer) -> None:
    from mlflow import MlflowClient

    experiment_id = MlflowClient(team_server.url).create_experiment("load")
    started = time.monotonic()
    workers = [_worker(team_server, experiment_id, f"w{k}", 500) for k in range(4)]
    for proc in workers:
        out, _ = proc.communicate(timeout=1200)
        assert proc.returncode == 0, out.decode(errors="replace")[-3000:]
    seconds = time.monotonic() - started
    names = _names(team_server.backend, experiment_id, None)
    expected = Counter(f"w{k}-{i:04d}" for k in range(4) for i in range(500))
    assert names == expected  # every run present, none twice
    assert _names(team_server.backend, experiment_id) == expected  # and all finished
    print(f"2000 runs through the server in {seconds:.1f} s ({2000 / seconds:.0f} runs/s)")


def test_server_restart_in_the_middle_loses_nothing(team_server: TrackingServer) -> None:
    from mlflow import MlflowClient

    experiment_id = MlflowClient(team_server.url).create_experiment("restart")
    proc = _worker(team_server, experiment_id, "r", 40, pause=0.2)
    deadline = time.monotonic() + 300
    while sum(_names(team_server.backend, experiment_id, None).values()) < 10:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.5)
    team_server.stop(signal.SIGKILL)  # the server dies mid-run, as a node failure would
    time.sleep(2)
    team_server.start()  # same port, same database
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, out.decode(errors="replace")[-3000:]
    # every run logged and finished (a request cut by the kill may have been retried, so a
    # run created twice is possible; what must not happen is a run missing)
    assert set(_names(team_server.backend, experiment_id)) == {f"r-{i:04d}" for i in range(40)}


FIT = """\
import os, pathlib, time
from typing import NamedTuple

import mlflow

from workbench.runtime import run_step


class Outputs(NamedTuple):
    score: object


def fit(raw, C: float) -> Outputs:
    for step in range(20):  # requests before, during and after the server's restart
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        pathlib.Path(os.environ["FIT_MARKER"]).touch()
        time.sleep(0.3)
    return Outputs(score=len(raw) * C)


if __name__ == "__main__":
    raise SystemExit(run_step(fit, inputs=("raw",), outputs=("score",), params={"C": "float"}))
"""


def test_pipeline_run_survives_a_server_restart(
    team_server: TrackingServer, tmp_path: Path
) -> None:
    """`workbench pipeline run` tracking through the server, which is SIGKILLed and restarted
    while a step logs: the pipeline completes, and its parent run, step runs and every metric
    value are on the server."""
    from mlflow import MlflowClient

    from tests.project_helpers import ISOLATED_ENV, make_project
    from tests.runner.conftest import write_pipeline
    from workbench.spec.model import ParamSpec

    root = make_project(tmp_path / "proj")
    (root / "data").mkdir()
    (root / "data" / "numbers.txt").write_text("1\n2\n3\n")
    params = (ParamSpec("data_path", "str", "data/numbers.txt"), ParamSpec("C", "float", 0.5))
    write_pipeline(root, "tracked", ("load", "fit"), params)
    (root / "steps/tracked/fit.py").write_text(FIT)
    marker = root / "fit-started"
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    env.update(RETRY_ENV, MLFLOW_TRACKING_URI=team_server.url, WORKBENCH_PROJECT=str(root),
               FIT_MARKER=str(marker))  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "pipeline", "run", "tracked", "--lineage", "wait"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 600
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
        time.sleep(0.2)
    team_server.stop(signal.SIGKILL)
    time.sleep(2)
    team_server.start()
    out = proc.communicate(timeout=900)[0].decode(errors="replace")
    assert proc.returncode == 0, out[-3000:]
    client = MlflowClient(team_server.url)
    experiment = client.get_experiment_by_name("pipeline-tracked")
    runs = client.search_runs([experiment.experiment_id])
    [parent] = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = {r.info.run_name: r for r in runs if r is not parent}
    assert parent.info.status == "FINISHED"
    assert {n: r.info.status for n, r in children.items()} == {
        "load": "FINISHED",
        "fit": "FINISHED",
    }
    history = client.get_metric_history(children["fit"].info.run_id, "loss")
    where = {
        (e.name, r.info.run_name, r.info.run_id): r.data.metrics
        for e in client.search_experiments()
        for r in client.search_runs([e.experiment_id])
    }
    assert sorted({m.step for m in history}) == list(range(20)), (where, out[-5000:])  # no loss
