"""Shared fixtures: an isolated project folder with its own MLflow store, and a local S3 server."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.s3_helpers import moto_server

REPO = Path(__file__).resolve().parents[1]


_ISOLATED_ENV = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_REGISTRY_URI",
    "MLFLOW_RUN_ID",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_EXPERIMENT_ID",
    "WORKBENCH_PROJECT",
    "WORKBENCH_NOTEBOOK",
    "WORKBENCH_WORKFLOW",
    "WORKBENCH_ARTIFACT_STORE",
    "WORKBENCH_CACHE_DIR",
    "WORKBENCH_MODEL_STORE",
    "WORKBENCH_DATA_DIR",
)


def _reset_mlflow_globals() -> None:
    """In-process MLflow keeps the tracking URI, registry URI and active experiment in module
    globals; reset them so one test's store never leaks into the next."""
    if "mlflow" not in sys.modules:
        return
    import mlflow
    import mlflow.tracking._model_registry.utils as registry_utils
    import mlflow.tracking._tracking_service.utils as tracking_utils
    import mlflow.tracking.fluent as fluent

    while mlflow.active_run() is not None:
        mlflow.end_run()
    tracking_utils._tracking_uri = None
    registry_utils._registry_uri = None
    fluent._active_experiment_id = None


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh project folder (pyproject.toml only) as the working directory.

    Tracking goes to `<project>/mlflow.db` through the embedded default; no variable leaks in
    from the developer's shell, and none set during the test (MLflow's set_tracking_uri writes
    os.environ) leaks out to the next test.
    """
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "proj"\nversion = "0"\n\n[tool.workbench]\n'
    )
    for var in _ISOLATED_ENV:
        monkeypatch.setenv(var, "")  # records the original value (or its absence) for undo
        monkeypatch.delenv(var)
    _reset_mlflow_globals()
    monkeypatch.chdir(root)
    yield root
    _reset_mlflow_globals()


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    key: str = "testing"
    secret: str = "testing-secret"

    def storage_options(self) -> dict[str, object]:
        return {
            "key": self.key,
            "secret": self.secret,
            "client_kwargs": {"endpoint_url": self.endpoint_url, "region_name": "us-east-1"},
        }

    def make_bucket(self, name: str) -> None:
        import boto3

        boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.key,
            aws_secret_access_key=self.secret,
            region_name="us-east-1",
        ).create_bucket(Bucket=name)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3-compatible server on 127.0.0.1, for the tests that MinIO would serve in a cluster."""
    with moto_server() as url:
        yield S3Server(endpoint_url=url)


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """AWS variables pointing s3fs/boto3 at the local server, the way a MinIO user sets them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint_url)
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", s3_server.endpoint_url)
    os.environ.pop("AWS_PROFILE", None)
    return s3_server
