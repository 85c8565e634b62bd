"""Fixtures for the tracking tests: MLflow's process-global state reset between tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cache_helpers import copy_mlflow_store


@pytest.fixture(autouse=True)
def _migrated_store(request: pytest.FixtureRequest) -> None:
    """Tests using `project` start from a copy of the migrated empty store.

    Creating a store runs MLflow's ~50 alembic migrations (1-7 s on this machine); copying a
    migrated file, made once per MLflow version (tests/cache_helpers.py), gives every test its
    own real, empty store for the price of a file copy.
    """
    if "project" not in request.fixturenames:
        return
    project: Path = request.getfixturevalue("project")
    copy_mlflow_store(project / "mlflow.db", project / "mlruns" / "0")


@pytest.fixture(autouse=True)
def _clean_mlflow_state() -> Iterator[None]:
    """End runs a failing test left active and forget the active experiment.

    MLflow keeps both in module globals; each test has its own store, so an id from the previous
    test's store would point at nothing.
    """
    import mlflow
    import mlflow.tracking.fluent as fluent

    from workbench.tracking.context import git_state

    yield
    while mlflow.active_run() is not None:
        mlflow.end_run()
    fluent._active_experiment_id = None
    git_state.cache_clear()


@pytest.fixture(scope="session")
def iris() -> tuple[object, object]:
    """A small classification frame (X, y) shared by every test."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y
