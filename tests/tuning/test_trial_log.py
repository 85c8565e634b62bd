"""The batched SQL trial writer leaves exactly what MLflow's client API would have logged."""

from __future__ import annotations

import math
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from workbench.tracking.config import configure
from workbench.tracking.tuning_log import (
    ClientTrialWriter,
    SqlTrialWriter,
    TrialRun,
    open_trial_writer,
)

TRIAL = TrialRun(
    name="trial 3",
    start_time=1_700_000_000_000,
    end_time=1_700_000_000_500,
    status="KILLED",
    params={"C": "0.5", "penalty": "l2"},
    tags={"optuna.state": "PRUNED", "workbench.study": "s"},
    metrics=[
        ("intermediate_value", 0.4, 0, 1_700_000_000_100),
        ("intermediate_value", 0.6, 1, 1_700_000_000_200),
        ("intermediate_value", 0.5, 1, 1_700_000_000_300),  # same step, later: the latest
        ("odd", math.nan, 0, 1_700_000_000_300),
        ("big", math.inf, 0, 1_700_000_000_300),
    ],
)


def _snapshot(client: MlflowClient, run_id: str) -> dict:
    run = client.get_run(run_id)
    tags = dict(run.data.tags)
    return {
        "info": (
            run.info.status,
            run.info.start_time,
            run.info.end_time,
            run.info.run_name,
            run.info.lifecycle_stage,
            run.info.artifact_uri.rsplit("/", 2)[0],
        ),
        "params": run.data.params,
        "metrics": {k: ("nan" if math.isnan(v) else v) for k, v in run.data.metrics.items()},
        "tags": tags,
        "history": {
            key: [
                (m.step, m.timestamp, "nan" if math.isnan(m.value) else m.value)
                for m in client.get_metric_history(run_id, key)
            ]
            for key in ("intermediate_value", "odd", "big")
        },
    }


@pytest.mark.slow
def test_sql_writer_matches_the_client_writer(project: Path) -> None:
    experiment_id = configure("trials")
    client = MlflowClient()
    parent = client.create_run(experiment_id, run_name="study").info.run_id
    writer = open_trial_writer(mlflow.get_tracking_uri())
    assert isinstance(writer, SqlTrialWriter)
    writer.write(experiment_id, parent, [TRIAL, TRIAL])
    ClientTrialWriter(mlflow.get_tracking_uri()).write(experiment_id, parent, [TRIAL])
    runs = client.search_runs([experiment_id], f"tags.`mlflow.parentRunId` = '{parent}'")
    assert len(runs) == 3
    snaps = [_snapshot(client, r.info.run_id) for r in runs]
    assert snaps[0] == snaps[1] == snaps[2]
    snap = snaps[0]
    assert snap["metrics"]["intermediate_value"] == 0.5 and snap["metrics"]["odd"] == "nan"
    assert snap["info"][0] == "KILLED" and snap["tags"]["mlflow.parentRunId"] == parent
    # and MLflow's search filters and orders on them like on any run
    found = client.search_runs(
        [experiment_id], "metrics.intermediate_value = 0.5 and params.C = '0.5'"
    )
    assert len(found) == 3
