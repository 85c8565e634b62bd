"""One project (and MLflow store) per tuning test module: creating MLflow's tables takes seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.project_helpers import isolate, make_project


@pytest.fixture(scope="module")
def tuning_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("tuning") / "proj")


@pytest.fixture
def tproject(tuning_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The module's project as the working directory; study names keep tests apart."""
    isolate(monkeypatch, tuning_root)
    yield tuning_root
