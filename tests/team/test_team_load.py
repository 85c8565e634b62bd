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
