"""`python -m workbench.tuning.worker`: the tuning pods' command, in process on a SQLite study
(the PostgreSQL fan-out itself runs in tests/deploy/test_rehearse_tune.py)."""

from __future__ import annotations

import gc
import json
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.project_helpers import open_descriptors
from workbench.tracking.tuning_runs import PARENT_TAG, study_filter
from workbench.tuning.worker import STORAGE_ENV, main

MODULE = """
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

space = {"C": ("float", 1e-2, 10.0, {"log": True})}

def objective(params):
    return -abs(params["C"] - 1.0)

def train(params):
    data = load_breast_cancer(as_frame=True)
    X, y = data.data.iloc[:, :5], data.target
    return LogisticRegression(C=params["C"], max_iter=500).fit(X, y), X, y
"""


@pytest.fixture
def objective_module(tproject: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    folder = tproject / "objectives"
    folder.mkdir(exist_ok=True)
    (folder / "toy_objective.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv(STORAGE_ENV, f"sqlite:///{tproject / 'shared-optuna.db'}")
    return "toy_objective"


@pytest.mark.slow  # six trials logged and a model registered: ~10 s
def test_two_workers_then_promote_the_best(
    objective_module: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--objective", objective_module, "--study", "toy"]
    for _ in range(2):  # two workers, one after the other, join the same study
        assert main(["optimize", *common, "--trials", "3", "--experiment", "toy-tuning"]) == 0
    assert "6 in the study" in capsys.readouterr().out
    out = tmp_path / "promotion.json"
    assert main(["promote", *common, "--model-name", "toy-model", "--promote-metric", "accuracy",
                 "--output", str(out)]) == 0  # fmt: skip
    decision = json.loads(out.read_text())
    client = MlflowClient()
    experiment = client.get_experiment_by_name("toy-tuning")
    assert experiment is not None
    (parent,) = client.search_runs([experiment.experiment_id], f"tags.`{PARENT_TAG}` = 'toy'")
    trials = client.search_runs([experiment.experiment_id], study_filter("toy"))
    assert Counter(r.data.tags["optuna.trial_number"] for r in trials) == Counter(
        str(i) for i in range(6)
    )
    best = max(trials, key=lambda r: r.data.metrics["value"])
    assert decision["trial"] == int(best.data.tags["optuna.trial_number"])
    assert decision["params"]["C"] == pytest.approx(float(best.data.params["C"]))
    model_run = client.get_run(decision["run_id"])
    assert model_run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert "workbench.study" not in model_run.data.tags  # not counted as a trial
    assert decision["promoted"] is True and decision["version"] == "1"
    assert str(client.get_model_version_by_alias("toy-model", "champion").version) == "1"


def test_no_storage_is_a_clear_error(
    objective_module: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(STORAGE_ENV)
    assert main(["optimize", "--objective", objective_module, "--study", "s", "--trials", "1"]) == 2
    assert f"${STORAGE_ENV} is not set" in capsys.readouterr().err


def test_unknown_module_and_missing_train_are_named(
    objective_module: str, tproject: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["optimize", "--objective", "no_such_objective", "--study", "s", "--trials", "1"]) == 2
    )
    assert "--objective 'no_such_objective': cannot import it" in capsys.readouterr().err
    (tproject / "objectives" / "no_train.py").write_text("def objective(trial):\n    return 1.0\n")
    assert main(["optimize", "--objective", "no_train", "--study", "nt", "--trials", "1"]) == 0
    args = ["promote", "--objective", "no_train", "--study", "nt", "--model-name", "m",
            "--promote-metric", "accuracy"]  # fmt: skip
    assert main(args) == 2
    assert "no train(params)" in capsys.readouterr().err


def test_the_worker_closes_its_study_connections(objective_module: str, tproject: Path) -> None:
    """optimize and promote close the storage engines they open, rather than leaving pooled
    connections to the garbage collector (with PostgreSQL a ResourceWarning in another test)."""
    database = tproject / "shared-optuna.db"
    common = ["--objective", objective_module, "--study", "closing"]
    gc.disable()  # only what the code closes is closed: nothing is collected behind its back
    try:
        assert main(["optimize", *common, "--trials", "2", "--experiment", "closing"]) == 0
        assert open_descriptors(database) == []
        assert main(["promote", *common, "--model-name", "closing-model",
                     "--promote-metric", "accuracy"]) == 0  # fmt: skip
        assert open_descriptors(database) == []
    finally:
        gc.enable()
