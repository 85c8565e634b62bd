"""A model identical to the champion's (same store sha256) registers no new version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import workbench.tracking as wbt
from workbench.models.store import SHA256_TAG, model_digest


@pytest.fixture(scope="module")
def churn() -> dict[str, Any]:
    """A churn-like table with a categorical column, fitted the way a pipeline step refits."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "tenure": rng.integers(1, 72, 300).astype(float),
            "monthly": rng.normal(70, 20, 300),
            "contract": rng.choice(["month", "year", "two_year"], 300),
        }
    )
    target = ((frame["tenure"] < 12) & (frame["contract"] == "month")).astype(int)
    return {"X": frame, "y": target}


def fit(data: dict[str, Any], C: float = 1.0) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    pre = ColumnTransformer(
        [("num", StandardScaler(), ["tenure", "monthly"]), ("cat", OneHotEncoder(), ["contract"])]
    )
    model = Pipeline([("pre", pre), ("clf", LogisticRegression(C=C, max_iter=500))])
    return model.fit(data["X"], data["y"])


def versions(name: str) -> list[int]:
    import mlflow

    found = mlflow.MlflowClient().search_model_versions(f"name = '{name}'")
    return sorted(int(v.version) for v in found)


@pytest.mark.slow  # three MLflow model logs and two promotions: ~10 s
def test_refit_identical_to_champion_is_not_registered_again(
    project: Path, churn: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    import mlflow

    X, y = churn["X"], churn["y"]
    with wbt.start_run() as run:
        first = run.log_model(fit(churn), input_example=X.head(3), register="churn")
    assert first.version == 1 and not first.reused
    assert wbt.promote("churn", 1, metric="roc_auc", X=X, y=y).promoted

    # what a pipeline re-run does: a fresh fit of the same data and parameters
    refit = fit(churn)
    assert model_digest(refit) == first.sha256
    with wbt.start_run() as run:
        again = run.log_model(refit, input_example=X.head(3), register="churn")
        run_id = run.run_id
    assert again.reused and again.version == 1 and again.sha256 == first.sha256
    assert versions("churn") == [1]
    assert "identical to champion v1" in capsys.readouterr().out
    tags = mlflow.MlflowClient().get_run(run_id).data.tags
    assert tags["workbench.model_version"] == "churn/1"
    assert "champion v1" in tags["workbench.model_reused"]
    # the run still holds its own (unregistered) model artifact, loadable by MLflow
    assert mlflow.sklearn.load_model(again.model_uri).predict(X.head(2)) is not None
    # the promotion gate sees the champion itself: nothing changes
    decision = wbt.promote("churn", again.version, metric="roc_auc", X=X, y=y)
    assert not decision.promoted and "already holds champion" in decision.reason
    assert versions("churn") == [1]

    # a different model is a new version, as before
    with wbt.start_run() as run:
        other = run.log_model(fit(churn, C=0.01), register="churn")
    assert other.version == 2 and not other.reused and other.sha256 != first.sha256
    version = mlflow.MlflowClient().get_model_version("churn", "2")
    assert version.tags[SHA256_TAG] == other.sha256


def test_same_model_without_a_champion_is_registered(project: Path, churn: dict[str, Any]) -> None:
    """Only the champion is compared: a version nobody promoted is no reason to skip."""
    with wbt.start_run() as run:
        assert run.log_model(fit(churn), register="churn").version == 1
    with wbt.start_run() as run:
        assert run.log_model(fit(churn), register="churn").version == 2
