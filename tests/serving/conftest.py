"""Fixtures for the serving tests (helpers in serving_helpers.py)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow_models import Logged, log_plain_models
from serving_helpers import Registered, example_model, register_model, write_store_model


@pytest.fixture(scope="session")
def model() -> Any:
    return example_model()


@pytest.fixture
def store_folder(tmp_path: Path, model: Any) -> Path:
    """A model-store folder holding the example model (no mlflow involved)."""
    return write_store_model(tmp_path / "models", model)


@pytest.fixture(scope="module")
def registered_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registered]:
    """A project with the example model registered as models:/breast-cancer@champion (module-wide).

    Module-scoped, so it cannot use the function-scoped `project` fixture: it isolates the same
    things by hand and puts them back (MLflow writes its tracking URI into os.environ and into
    module globals) so nothing leaks into later tests.
    """
    with isolated_project(tmp_path_factory.mktemp("proj")) as root:
        yield register_model(root, example_model())


@pytest.fixture(scope="module")
def plain_project(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, dict[str, Logged]]]:
    """A project whose registry holds models logged with plain mlflow (mlflow_models.py)."""
    with isolated_project(tmp_path_factory.mktemp("plain")) as root:
        yield root, log_plain_models(root)


@contextlib.contextmanager
def isolated_project(root: Path) -> Iterator[Path]:
    """A project folder as the working directory, with MLflow's environment and globals reset
    on the way in and put back on the way out (nothing leaks into later tests)."""
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    saved_cwd = os.getcwd()
    saved_env = {k: v for k, v in os.environ.items() if k.startswith(_ISOLATED)}
    for key in saved_env:
        del os.environ[key]
    _reset_mlflow_globals()
    os.chdir(root)
    try:
        yield root
    finally:
        os.chdir(saved_cwd)
        for key in [k for k in os.environ if k.startswith(_ISOLATED)]:
            del os.environ[key]
        os.environ.update(saved_env)
        _reset_mlflow_globals()


_ISOLATED = ("MLFLOW_", "WORKBENCH_")


def _reset_mlflow_globals() -> None:
    """MLflow keeps the tracking and registry URIs and the active experiment in module globals."""
    if "mlflow" not in sys.modules:
        return
    import mlflow
    import mlflow.tracking._model_registry.utils as registry_utils
    import mlflow.tracking._tracking_service.utils as tracking_utils
    import mlflow.tracking.fluent as fluent

    while mlflow.active_run() is not None:
        mlflow.end_run()
    tracking_utils._tracking_uri = None  # type: ignore[attr-defined]
    registry_utils._registry_uri = None  # type: ignore[attr-defined]
    fluent._active_experiment_id = None
