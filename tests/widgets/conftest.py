"""Fixtures of the widget tests: the shared small store (see widgets_store.py)."""

from __future__ import annotations

import os

import pytest
from widgets_store import Store, populate

from tests.cache_helpers import copy_mlflow_store
from tests.project_helpers import isolate, make_project


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = make_project(tmp_path_factory.mktemp("wbstore") / "proj")
    copy_mlflow_store(root / "mlflow.db", root / "mlruns" / "0")  # migrated once, not per worker
    with pytest.MonkeyPatch.context() as mp:  # only while building: no cwd leaks to other tests
        isolate(mp, root)
        return populate(root)


@pytest.fixture
def in_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The shared store as the working directory (module fixtures' monkeypatch has ended)."""
    isolate(monkeypatch, store.root)
    assert os.getcwd() == str(store.root)
    return store
