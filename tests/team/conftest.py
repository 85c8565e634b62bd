"""Fixtures of the team-scale tests: a project whose tracking store is a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.project_helpers import isolate, make_project, reset_mlflow_globals


@pytest.fixture
def pg_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_store: str
) -> Iterator[tuple[Path, str]]:
    """A project folder tracked in its own PostgreSQL database: (root, tracking URL)."""
    root = make_project(tmp_path / "proj")
    isolate(monkeypatch, root)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", pg_store)
    yield root, pg_store
    reset_mlflow_globals()
