"""One Optuna study shared by several processes on PostgreSQL: every trial in MLflow once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.pg_helpers import PgServer, optuna_study

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORKER = """
import workbench

def objective(params):
    return -(params["x"] - 2.0) ** 2 - 0.1 * params["depth"]

workbench.tune(objective, {"x": ("float", -10.0, 10.0), "depth": ("int", 1, 8)},
               n_trials=50, experiment="shared-study", storage=%r, study_name="shared",
               metric="score")
"""


def test_four_processes_fifty_trials_each_every_trial_once(
    pg_project: tuple[Path, str], pg_server: PgServer
) -> None:
    from mlflow import MlflowClient

    from workbench.tracking.tuning_runs import PARENT_TAG, study_filter

    root, tracking = pg_project
    # a bare postgresql:// URL, as a user writes it: the installed driver (psycopg) is used
    storage = pg_server.create_database("optuna").replace("postgresql+psycopg://", "postgresql://")
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking, "WORKBENCH_PROJECT": str(root)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER % storage],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(4)
    ]
    for proc in workers:
        out, _ = proc.communicate(timeout=900)
        assert proc.returncode == 0, out.decode(errors="replace")[-3000:]

    with optuna_study("shared", storage.replace("://", "+psycopg://", 1)) as study:
        trials = study.get_trials(deepcopy=False)
    assert len(trials) == 200 and {t.number for t in trials} == set(range(200))

    client = MlflowClient(tracking)
    experiment = client.get_experiment_by_name("shared-study")
    assert experiment is not None
    parents = client.search_runs(
        [experiment.experiment_id], f"tags.`{PARENT_TAG}` = 'shared'", max_results=10
    )
    assert len(parents) == 1  # one parent for all four processes
    parent = parents[0].info.run_id
    runs = client.search_runs([experiment.experiment_id], study_filter("shared"), max_results=1000)
    numbers = Counter(int(r.data.tags["optuna.trial_number"]) for r in runs)
    assert numbers == Counter(range(200))  # every trial exactly once: none lost, none twice
    assert {r.data.tags["mlflow.parentRunId"] for r in runs} == {parent}
    by_number = {t.number: t for t in trials}
    for run in runs:
        trial = by_number[int(run.data.tags["optuna.trial_number"])]
        assert run.data.metrics["score"] == pytest.approx(trial.value)
        assert run.data.params == {k: str(v) for k, v in trial.params.items()}
