"""One project (and MLflow store) per tuning test module: creating MLflow's tables takes seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ISOLATE = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_REGISTRY_URI",
    "MLFLOW_RUN_ID",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_EXPERIMENT_ID",
    "WORKBENCH_PROJECT",
)


@pytest.fixture(scope="module")
def tuning_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tuning") / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "0"\n\n[tool.workbench]\n'
    )
    return root


@pytest.fixture
def tproject(tuning_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The module's project as the working directory; study names keep tests apart."""
    for var in ISOLATE:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tuning_root)
    yield tuning_root
