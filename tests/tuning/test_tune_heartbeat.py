"""`tune`'s heartbeat on a SQLite study: a trial whose process died is failed when the next
worker starts, even when the study already holds its target of COMPLETE trials (a retried pod
then runs nothing), and its MLflow run says FAILED and why."""

from __future__ import annotations

import time
import warnings
from collections import Counter
from pathlib import Path

import optuna
import pytest
from mlflow import MlflowClient

import workbench
from workbench.core.errors import WorkbenchError
from workbench.tracking.tuning_runs import study_filter
from workbench.tuning.heartbeat import Heartbeat

SPACE = {"x": ("float", -5.0, 5.0)}


def objective(params: dict) -> float:
    return -((params["x"] - 1.0) ** 2)


@pytest.mark.slow  # MLflow's store is created on the first tune
def test_a_dead_trial_is_failed_at_the_next_start_and_recorded(tproject: Path) -> None:
    url = f"sqlite:///{tproject / 'heartbeat.db'}"
    beat = Heartbeat(interval=1, grace_period=2, max_retry=1)
    workbench.tune(objective, SPACE, n_trials=1, storage=url, study_name="hb",
                   experiment="hb", heartbeat=beat)  # fmt: skip
    with warnings.catch_warnings():  # a process that starts a trial and dies: as Optuna does
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.simplefilter("ignore", UserWarning)  # "heartbeat ... used with optimize"
        storage = optuna.storages.RDBStorage(url, heartbeat_interval=1, grace_period=2)
        dead = optuna.load_study(study_name="hb", storage=storage).ask({"x": SPACE_DIST})
        storage.record_heartbeat(dead._trial_id)
    time.sleep(3)  # silent for longer than the grace period

    study = workbench.tune(objective, SPACE, n_trials=5, storage=url, study_name="hb",
                           experiment="hb", heartbeat=beat, max_complete=1)  # fmt: skip
    trials = study.get_trials(deepcopy=False)
    # the target was already met: nothing ran, but the dead trial is failed and re-queued
    assert Counter(t.state.name for t in trials) == {"COMPLETE": 1, "FAIL": 1, "WAITING": 1}
    (waiting,) = [t for t in trials if t.state.name == "WAITING"]
    assert waiting.system_attrs["failed_trial"] == dead.number
    assert waiting.params == {"x": dead.params["x"]}

    client = MlflowClient()
    experiment = client.get_experiment_by_name("hb")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], study_filter("hb"))
    by_number = {int(r.data.tags["optuna.trial_number"]): r for r in runs}
    assert sorted(by_number) == [0, dead.number]
    failed = by_number[dead.number]
    assert failed.info.status == "FAILED"
    assert "no heartbeat for 2 s" in failed.data.tags["workbench.error"]


def test_bad_heartbeat_settings_are_named() -> None:
    with pytest.raises(WorkbenchError, match="grace period longer than the interval"):
        Heartbeat(interval=30, grace_period=30)
    with pytest.raises(WorkbenchError, match="max_complete 0"):
        workbench.tune(objective, SPACE, n_trials=1, storage="memory", max_complete=0)


SPACE_DIST = optuna.distributions.FloatDistribution(-5.0, 5.0)
