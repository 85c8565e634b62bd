"""Fixtures for the tracking tests: MLflow's process-global state reset between tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


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
