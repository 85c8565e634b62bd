"""The parent MLflow run of an Optuna study: its settings, then its best result.

Settings that cannot change when a study is resumed (study name, direction, sampler, storage)
are params; per-call settings and the best result are tags and metrics, which may be updated by
every `tune` call that resumes the study.
"""

from __future__ import annotations

import os
from typing import Any

from workbench.core.clock import now_ms
from workbench.core.errors import WorkbenchError

STUDY_TAG = "workbench.study"  # on trial runs: the study name (the widget filters on it)
PARENT_TAG = "workbench.study_parent"  # on the parent run: the study name


def study_filter(study_name: str) -> str:
    """MLflow filter selecting the trial runs of a study (the name quoted, never escaped)."""
    from workbench.tracking.filter_literal import filter_literal

    return f"tags.`{STUDY_TAG}` = {filter_literal(study_name, 'study name')}"


def create_study_run(
    experiment: str | None, study_name: str, settings: dict[str, str]
) -> tuple[str, str]:
    """Create the parent run in `experiment` (default: the study name); return (exp id, run id)."""
    from mlflow.entities import Param

    from workbench.tracking.config import tracking_client

    client = tracking_client()
    experiment_id = get_or_create_experiment(experiment or study_name)
    run = client.create_run(
        experiment_id,
        run_name=f"study {study_name}",
        tags={PARENT_TAG: study_name, "mlflow.user": run_user()},
    )
    client.log_batch(run.info.run_id, params=[Param(k, v) for k, v in sorted(settings.items())])
    return experiment_id, run.info.run_id


def get_or_create_experiment(name: str) -> str:
    """The experiment's id, created with the project's artifact location if missing.

    Unlike `configure(name)`, this leaves the notebook's active experiment alone.
    """
    from workbench.tracking import config

    return config.get_or_create_experiment(config.tracking_client(), name, active_only=True)


def reopen_study_run(run_id: str, call_settings: dict[str, str]) -> None:
    """Mark a resumed study's parent run as running again and record this call's settings."""
    from mlflow.entities import RunTag
    from mlflow.exceptions import MlflowException

    from workbench.tracking.config import tracking_client

    client = tracking_client()
    try:
        client.update_run(run_id, status="RUNNING")
        client.log_batch(run_id, tags=[RunTag(k, v) for k, v in sorted(call_settings.items())])
    except MlflowException as exc:
        raise WorkbenchError(
            f"study parent run {run_id}: cannot resume it ({exc.message}); "
            "was it deleted from MLflow?"
        ) from exc


def create_nested_run(parent_run_id: str, run_name: str, study_name: str) -> str:
    """A new run nested under a study's parent run (in its experiment): the best trial's model
    is logged there, beside the trials it was chosen from."""
    from workbench.tracking.config import tracking_client

    client = tracking_client()
    parent = client.get_run(parent_run_id)
    run = client.create_run(
        parent.info.experiment_id,
        run_name=run_name,
        tags={"mlflow.parentRunId": parent_run_id, PARENT_TAG + ".best": study_name,
              "mlflow.user": run_user()},
    )  # fmt: skip
    return str(run.info.run_id)


def finish_study_run(
    run_id: str,
    *,
    best_value: float | None,
    best_params: dict[str, Any],
    best_trial: int | None,
    counts: dict[str, int],
    status: str = "FINISHED",
) -> None:
    """Record the best result so far and the trial counts; end the parent run."""
    from mlflow.entities import Metric, RunTag

    from workbench.tracking.config import tracking_client

    client = tracking_client()
    now = now_ms()
    done = sum(counts.values())
    metrics = [Metric(f"trials_{k}", float(v), now, done) for k, v in sorted(counts.items())]
    tags = []
    if best_value is not None:
        metrics.append(Metric("best_value", float(best_value), now, done))
        tags = [RunTag(f"best.{k}", str(v)) for k, v in sorted(best_params.items())]
        tags.append(RunTag("best.trial_number", str(best_trial)))
    client.log_batch(run_id, metrics=metrics, tags=tags)
    client.set_terminated(run_id, status, end_time=now)


def run_user() -> str:
    """`mlflow.user` of tuning runs; a pod's numeric uid has no passwd entry (no getuser)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a pod's numeric uid without a passwd entry
        return f"uid-{os.getuid()}"
