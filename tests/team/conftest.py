"""Fixtures of the team-scale tests: a project whose tracking store is a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pg_helpers import PgServer
from tests.project_helpers import isolate, make_project, reset_mlflow_globals
from tests.team.server_helpers import TrackingServer


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


@pytest.fixture(scope="module")
def team_server(
    pg_server: PgServer, pg_mlflow_template: str, s3_server: Any, tmp_path_factory: Any
) -> Iterator[TrackingServer]:
    """`workbench server` on its own PostgreSQL database, artifacts proxied to moto's S3."""
    s3_server.make_bucket("team-artifacts")
    server = TrackingServer(
        backend=pg_server.create_database("team", template=pg_mlflow_template),
        artifacts="s3://team-artifacts/mlflow",
        env={
            "AWS_ACCESS_KEY_ID": s3_server.key,
            "AWS_SECRET_ACCESS_KEY": s3_server.secret,
            "AWS_DEFAULT_REGION": "us-east-1",
            "MLFLOW_S3_ENDPOINT_URL": s3_server.endpoint_url,
        },
        cwd=make_project(tmp_path_factory.mktemp("server") / "proj"),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, team_server: TrackingServer
) -> Iterator[Path]:
    """A project that tracks through the team server (no AWS variables: artifacts are proxied)."""
    root = make_project(tmp_path / "proj")
    isolate(monkeypatch, root)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", team_server.url)
    yield root
    reset_mlflow_globals()
