"""Write finished Optuna trials as nested MLflow runs, several trials per transaction.

Per trial, MLflow's client API costs three transactions (create_run, log_batch, set_terminated);
on a SQLite store each commit is a disk sync, and that is most of the MLflowCallback's overhead.
`SqlTrialWriter` inserts a whole batch of finished trials (runs, tags, params, metric history
and latest metrics) in one transaction with the row layout MLflow's own SqlAlchemyStore writes
(tests/tuning/test_trial_log.py reads the rows back through MlflowClient and compares them with
runs logged through the client). `ClientTrialWriter` is the same contract through the public
API, for every other store.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from workbench.tracking.tuning_runs import run_user

MAX_FLOAT = 1.7976931348623157e308  # MLflow stores +/-inf as +/-max float


@dataclass(frozen=True)
class TrialRun:
    """One finished trial, ready to log: status is an MLflow run status."""

    name: str
    start_time: int
    end_time: int
    status: str  # FINISHED, FAILED or KILLED (pruned)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: list[tuple[str, float, int, int]] = field(default_factory=list)  # key, value, step, ts


class TrialWriter(Protocol):
    def write(
        self, experiment_id: str, parent_run_id: str | None, trials: Sequence[TrialRun]
    ) -> None: ...


def open_trial_writer(tracking_uri: str) -> TrialWriter:
    """The batched SQL writer for SQL stores at a known schema revision, else the client one."""
    from workbench.core.mlflow_schema import sql_engine

    engine = sql_engine(tracking_uri)
    if engine is not None:
        return SqlTrialWriter(engine)
    return ClientTrialWriter(tracking_uri)


def _sanitize(value: float) -> tuple[float, bool]:
    if math.isnan(value):
        return 0.0, True
    if math.isinf(value):
        return (MAX_FLOAT if value > 0 else -MAX_FLOAT), False
    return value, False


class SqlTrialWriter:
    """Inserts into MLflow's tables as laid out in workbench.core.mlflow_schema (whose revision
    check chose this writer); the column types there bind the same on SQLite and PostgreSQL."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._locations: dict[str, str] = {}

    def _artifact_location(self, conn: Any, experiment_id: str) -> str:
        import sqlalchemy as sa

        from workbench.core.mlflow_schema import EXPERIMENTS

        if experiment_id not in self._locations:
            row = conn.execute(
                sa.select(EXPERIMENTS.c.artifact_location).where(
                    EXPERIMENTS.c.experiment_id == int(experiment_id)
                )
            ).one()
            self._locations[experiment_id] = str(row[0] or "").rstrip("/")
        return self._locations[experiment_id]

    def write(
        self, experiment_id: str, parent_run_id: str | None, trials: Sequence[TrialRun]
    ) -> None:
        if not trials:
            return

        from workbench.core import mlflow_schema as schema

        t = {
            "runs": schema.RUNS,
            "tags": schema.TAGS,
            "params": schema.PARAMS,
            "metrics": schema.METRICS,
            "latest_metrics": schema.LATEST_METRICS,
        }
        user = run_user()
        runs, tags, params, metrics, latest = [], [], [], [], []
        with self.engine.begin() as conn:
            location = self._artifact_location(conn, experiment_id)
            for trial in trials:
                run_id = uuid.uuid4().hex
                runs.append(
                    {
                        "run_uuid": run_id,
                        "name": trial.name,
                        "source_type": "UNKNOWN",
                        "source_name": "",
                        "entry_point_name": "",
                        "user_id": user,
                        "status": trial.status,
                        "start_time": trial.start_time,
                        "end_time": trial.end_time,
                        "deleted_time": None,
                        "source_version": "",
                        "lifecycle_stage": "active",
                        "artifact_uri": f"{location}/{run_id}/artifacts",
                        "experiment_id": int(experiment_id),
                    }
                )
                all_tags = {**trial.tags, "mlflow.runName": trial.name, "mlflow.user": user}
                if parent_run_id:
                    all_tags["mlflow.parentRunId"] = parent_run_id
                tags += [{"run_uuid": run_id, "key": k, "value": v} for k, v in all_tags.items()]
                params += [
                    {"run_uuid": run_id, "key": k, "value": v} for k, v in trial.params.items()
                ]
                newest: dict[str, tuple[int, int, float, bool]] = {}
                for key, raw, step, ts in trial.metrics:
                    value, is_nan = _sanitize(raw)
                    metrics.append(
                        {
                            "run_uuid": run_id,
                            "key": key,
                            "value": value,
                            "step": step,
                            "timestamp": ts,
                            "is_nan": is_nan,
                        }
                    )
                    # MLflow's latest value: greatest (step, timestamp, value)
                    if key not in newest or (step, ts, value) > newest[key][:3]:
                        newest[key] = (step, ts, value, is_nan)
                latest += [
                    {
                        "run_uuid": run_id,
                        "key": k,
                        "value": v[2],
                        "step": v[0],
                        "timestamp": v[1],
                        "is_nan": v[3],
                    }
                    for k, v in newest.items()
                ]
            conn.execute(t["runs"].insert(), runs)  # one executemany per table
            for name, rows in (
                ("tags", tags),
                ("params", params),
                ("metrics", metrics),
                ("latest_metrics", latest),
            ):
                if rows:
                    conn.execute(t[name].insert(), rows)


class ClientTrialWriter:
    """Three client calls per trial: create_run, one log_batch, set_terminated."""

    def __init__(self, tracking_uri: str) -> None:
        from mlflow import MlflowClient

        self.client = MlflowClient(tracking_uri)

    def write(
        self, experiment_id: str, parent_run_id: str | None, trials: Sequence[TrialRun]
    ) -> None:

        from mlflow.entities import Metric, Param

        for trial in trials:
            run = self.client.create_run(
                experiment_id,
                start_time=trial.start_time,
                tags={
                    **trial.tags,
                    **({"mlflow.parentRunId": parent_run_id} if parent_run_id else {}),
                    "mlflow.user": run_user(),
                },
                run_name=trial.name,
            )
            run_id = run.info.run_id
            self.client.log_batch(
                run_id,
                metrics=[Metric(k, v, ts, s) for k, v, s, ts in trial.metrics],
                params=[Param(k, v) for k, v in trial.params.items()],
            )
            self.client.set_terminated(run_id, trial.status, end_time=trial.end_time)
