"""Fixtures for the serving tests (helpers in serving_helpers.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
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
    """A project with the example model registered as models:/breast-cancer@champion (module-wide)."""
    root = tmp_path_factory.mktemp("proj")
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    saved = os.getcwd()
    cleared = {
        k: os.environ.pop(k) for k in list(os.environ) if k.startswith(("MLFLOW_", "WORKBENCH_"))
    }
    os.chdir(root)
    try:
        yield register_model(root, example_model())
    finally:
        os.chdir(saved)
        os.environ.update(cleared)
