"""A study is its search space and direction: another space is another study, never a resume.

Real Optuna on the project's SQLite `optuna.db`, real MLflow parent and trial runs.
"""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

import workbench
from workbench.core.errors import WorkbenchError
from workbench.tuning.study import default_storage

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(params: dict) -> float:
    """The same function name for both problems: the old default named the study after it."""
    if "alpha" in params:  # problem 1: peaks at alpha = 0.3
        return -((params["alpha"] - 0.3) ** 2)
    return -abs(params["depth"] - 6) + (0.1 if params["criterion"] == "gini" else 0.0)


SPACE_A = {"alpha": ("float", 0.0, 1.0)}
SPACE_B = {"depth": ("int", 1, 12), "criterion": ["gini", "entropy"]}


@pytest.mark.slow
def test_two_spaces_in_one_experiment_are_two_studies(tproject: Path) -> None:
    sampler = optuna.samplers.TPESampler(seed=1)
    first = workbench.tune(
        objective, SPACE_A, n_trials=6, experiment="kaggle-house", sampler=sampler
    )
    second = workbench.tune(objective, SPACE_B, n_trials=5, experiment="kaggle-house")
    assert first.study_name != second.study_name
    assert first.study_name.startswith("kaggle-house-")
    assert second.study_name.startswith("kaggle-house-")
    # each study's best parameters come from its own space, in real storage
    storage = default_storage()
    names = set(optuna.get_all_study_names(storage))
    assert {first.study_name, second.study_name} <= names
    a = optuna.load_study(study_name=first.study_name, storage=storage)
    b = optuna.load_study(study_name=second.study_name, storage=storage)
    assert set(a.best_params) == {"alpha"} and len(a.trials) == 6
    assert set(b.best_params) == {"depth", "criterion"} and len(b.trials) == 5
    # both parent runs sit in the one experiment
    assert (
        first.user_attrs["workbench.mlflow_experiment_id"]
        == second.user_attrs["workbench.mlflow_experiment_id"]
    )
    # the same space again resumes its own study; the other one is untouched
    again = workbench.tune(objective, SPACE_A, n_trials=2, experiment="kaggle-house")
    assert again.study_name == first.study_name and len(again.trials) == 8
    assert len(optuna.load_study(study_name=second.study_name, storage=storage).trials) == 5
    # the direction is part of the identity too
    lower = workbench.tune(
        objective, SPACE_A, n_trials=1, experiment="kaggle-house", direction="minimize"
    )
    assert lower.study_name not in (first.study_name, second.study_name)


@pytest.mark.slow
def test_named_study_refuses_another_space_unless_forced(tproject: Path) -> None:
    workbench.tune(objective, SPACE_A, n_trials=2, study_name="named")
    with pytest.raises(WorkbenchError, match=r"study 'named' was created with another search"):
        workbench.tune(objective, SPACE_B, n_trials=1, study_name="named")
    # refusal wrote nothing: still two trials
    storage = default_storage()
    assert len(optuna.load_study(study_name="named", storage=storage).trials) == 2
    with pytest.raises(WorkbenchError, match="already exists and resume=False"):
        workbench.tune(objective, SPACE_A, n_trials=1, study_name="named", resume=False)
    with pytest.raises(WorkbenchError, match="cannot change"):
        workbench.tune(
            objective, SPACE_A, n_trials=1, study_name="named", direction="minimize", resume="force"
        )
    forced = workbench.tune(objective, SPACE_B, n_trials=1, study_name="named", resume="force")
    assert len(forced.trials) == 3
    with pytest.raises(WorkbenchError, match="resume 'yes'"):
        workbench.tune(objective, SPACE_A, n_trials=1, resume="yes")


@pytest.mark.slow
def test_a_plain_optuna_study_is_checked_by_its_trials(tproject: Path) -> None:
    """A study made with plain Optuna has no recorded signature: its trials' space decides."""
    storage = default_storage()
    plain = optuna.create_study(study_name="plain", storage=storage, direction="maximize")
    plain.optimize(lambda t: t.suggest_float("lr", 1e-4, 1e-1, log=True), n_trials=2)
    with pytest.raises(WorkbenchError, match=r"study 'plain': its trials searched lr="):
        workbench.tune(objective, SPACE_A, n_trials=1, study_name="plain")
    same = workbench.tune(
        lambda p: p["lr"], {"lr": ("float", 1e-4, 1e-1, {"log": True})}, n_trials=1,
        study_name="plain",
    )  # fmt: skip
    assert len(same.trials) == 3
