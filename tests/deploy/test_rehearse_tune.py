"""The tuning fan-out, rehearsed: the built `train-tune` WorkflowTemplate's pods run as the
cluster would run them (uid 10001, read-only image, only the image's packages), three workers at
once on one Optuna study in a real PostgreSQL, tracked on the rehearsal's MLflow server; then the
promotion pod registers the best trial's model and runs the gate."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.deploy.test_rehearse import copy_example
from tests.pg_helpers import PgServer, optuna_study
from workbench.deploy.rehearse import rehearse
from workbench.deploy.rehearse.services import services

pytestmark = [pytest.mark.slow, pytest.mark.integration]

PASSWORD = "not-in-any-log-4e1f"  # trust authentication ignores it; it must never be printed


def test_tune_template_fans_out_on_one_study_then_promotes_the_best(
    tmp_path: Path, pg_server: PgServer
) -> None:
    from mlflow import MlflowClient

    from workbench.tracking.tuning_runs import PARENT_TAG, study_filter

    example = copy_example(tmp_path / "proj")
    url = pg_server.create_database("optuna").replace(
        "postgresql+psycopg://workbench@", f"postgresql://workbench:{PASSWORD}@"
    )
    secrets = tmp_path / "secrets.yaml"  # what `--secrets` gives: the cluster's Secrets
    secrets.write_text(yaml.safe_dump({"workbench-optuna-storage": {"url": url}}))
    params = {"workers": "3", "trials-per-worker": "4", "study-name": "fan-out"}
    (tmp_path / "services").mkdir()
    with services(tmp_path / "services") as running:
        result = rehearse(example, "train", "staging", template="tune", parameters=params,
                          secrets_file=secrets, compare=False, running=running)  # fmt: skip

        assert [p.task for p in result.pods] == ["worker"] * 3 + ["promote"]
        # the three workers ran at the same time, as Argo starts a fan-out's pods
        workers = result.pods[:3]
        assert max(p.started for p in workers) < min(p.started + p.seconds for p in workers)

        storage = url.replace("://", "+psycopg://", 1)
        with optuna_study("fan-out", storage) as study:
            trials = study.get_trials(deepcopy=False)
            best = study.best_trial
        assert len(trials) == 12 and {t.number for t in trials} == set(range(12))

        client = MlflowClient(result.tracking_uri, registry_uri=result.tracking_uri)
        experiment = client.get_experiment_by_name("train-tuning")
        assert experiment is not None
        ids = [experiment.experiment_id]
        parents = client.search_runs(ids, f"tags.`{PARENT_TAG}` = 'fan-out'")
        assert len(parents) == 1  # one parent run for the three pods
        parent = parents[0].info.run_id
        runs = client.search_runs(ids, study_filter("fan-out"), max_results=100)
        numbers = Counter(int(r.data.tags["optuna.trial_number"]) for r in runs)
        assert numbers == Counter(range(12))  # every trial exactly once
        assert {r.data.tags["mlflow.parentRunId"] for r in runs} == {parent}

        # the promotion pod: the best trial's model, registered from a run under the same parent
        decision = json.loads(result.pods[-1].parameters["promotion"])
        assert decision["trial"] == best.number
        assert decision["params"] == best.params
        assert result.registered == {"breast-cancer": [decision["version"]]}
        assert client.get_run(decision["run_id"]).data.tags["mlflow.parentRunId"] == parent
        version = client.get_model_version("breast-cancer", decision["version"])
        assert version.run_id == decision["run_id"]
        # no champion before: the gate promoted it, and the alias says so
        assert decision["promoted"] is True
        champion = client.get_model_version_by_alias("breast-cancer", "champion")
        assert str(champion.version) == str(decision["version"])
        for pod in result.pods:  # the storage password never reached a log or a parameter
            assert pod.log is not None and PASSWORD not in pod.log.read_text(errors="replace")
        assert all(PASSWORD not in v for r in [*runs, *parents] for v in r.data.params.values())
