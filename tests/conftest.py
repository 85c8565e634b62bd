"""Shared fixtures: an isolated project folder with its own MLflow store, and a local S3 server."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from workbench.execute.lean import skip_slow_optional_imports

# The test processes import nbformat (and so jsonschema) as workbench's own processes do: without
# the optional `rfc3987_syntax` grammar, built at import (1.5-2 s per pytest worker) for format
# checks no notebook schema uses (workbench.execute.lean). Before anything imports jsonschema.
skip_slow_optional_imports()

from tests.pg_helpers import PgServer, dispose_engines, postgres_server  # noqa: E402
from tests.project_helpers import (  # noqa: E402
    ISOLATED_ENV,
    isolate,
    make_project,
    reset_mlflow_globals,
)
from tests.s3_helpers import moto_server  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

# pytest keeps its assert-rewritten test modules as .pyc files only where bytecode may be
# written: under PYTHONDONTWRITEBYTECODE (as on CI hosts) every run, in every xdist worker,
# rewrote all ~300 test modules again (about 10 s of a worker's 16 s collection). Writing is
# allowed while the test modules are collected and off again before any test runs, so no
# test's in-process import leaves a __pycache__ folder in its temporary project.
_DONT_WRITE_BYTECODE = sys.dont_write_bytecode
sys.dont_write_bytecode = False


def pytest_collection_finish(session: pytest.Session) -> None:
    sys.dont_write_bytecode = _DONT_WRITE_BYTECODE


# Seconds each of the heaviest files took in a clean-clone run (wall per file under `make
# pytest`, 2 workers, empty test cache): an order only, never a filter. Files not listed (each
# under ~12 s) follow in collection order; a heavy file left out would run late and alone.
HEAVY_FILES = {
    "tests/deploy/test_rehearse.py": 274,
    "tests/team/test_team_load.py": 147,
    "tests/verify/test_verify.py": 60,
    "tests/test_init.py": 57,
    "tests/compiler/test_example.py": 45,
    "tests/runner/test_run_report.py": 43,
    "tests/runner/test_lineage.py": 41,
    "tests/serving/test_serving_hostile_process.py": 40,
    "tests/compiler/test_regressions.py": 39,
    "tests/argo/test_local_execution.py": 38,
    "tests/test_no_secrets.py": 33,
    "tests/browser/test_compare_ui.py": 30,
    "tests/serving/test_serving_mlflow_models.py": 29,
    "tests/deploy/test_rehearse_tune.py": 25,
    "tests/browser/test_runs_table_ui.py": 25,
    "tests/argo/test_runner_equivalence.py": 20,
    "tests/serving/test_integration_test.py": 20,
    "tests/tracking/test_pod_lineage.py": 19,
    "tests/serving/test_serving_real_clients.py": 18,
    "tests/compiler/test_equivalence.py": 17,
    "tests/team/test_team_tuning.py": 17,
    "tests/deploy/test_deploy_gitops.py": 16,
    "tests/runner/test_example_pipeline.py": 16,
    "tests/execute/test_execute_run.py": 16,
    "tests/tracking/test_tracking_notebook.py": 16,
    "tests/lab/test_installed.py": 15,
    "tests/team/test_team_server.py": 14,
    "tests/execute/test_stop_signals.py": 14,
    "tests/steps/train/test_chain.py": 12,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the heaviest files are handed out first (longest processing first).

    `make pytest` runs `--dist loadfile --no-loadscope-reorder`: each file is one unit of work,
    given to the next free worker in this order. xdist's own order (by number of tests) puts
    the files of one or two 100+ s tests (the rehearsals, the new project's `make test`) last,
    where one worker runs them alone while the other has nothing left; heaviest first, the many
    short files fill in at the end. Within a file the order is unchanged, and a run without
    workers keeps the plain collection order.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        first.setdefault(item.nodeid.split("::")[0], index)

    def key(item: pytest.Item) -> tuple[int, int]:
        file = item.nodeid.split("::")[0]
        return -HEAVY_FILES.get(file, 0), first[file]

    items.sort(key=key)


@pytest.fixture(scope="session", autouse=True)
def _no_repository_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test reads or writes the repository's own tracking store.

    `make verify` (run before pytest) and the developer's own runs fill `<repo>/mlflow.db`, the
    embedded default for a process whose working directory is the repository; a test that does
    not choose a store (one that serves a model-store folder asks the registry to vouch for it)
    would otherwise meet those runs and versions. Such tests see an empty store of their own;
    the `project` fixture and every test that sets a tracking URI still choose theirs.
    """
    uri = f"sqlite:///{tmp_path_factory.mktemp('session-store') / 'mlflow.db'}"
    saved = {var: os.environ.get(var) for var in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    os.environ["MLFLOW_TRACKING_URI"] = uri
    os.environ.pop("MLFLOW_REGISTRY_URI", None)
    yield
    for var, value in saved.items():
        if value is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = value


@pytest.fixture(autouse=True)
def _no_leaked_variables() -> Iterator[None]:
    """A tracking or workbench variable a test sets without monkeypatch (MLflow's own
    set_tracking_uri writes os.environ) is undone after it, so no later test, or module fixture,
    meets another test's store: that leak once made the serving tests refuse their model-store
    folders because a registry full of someone else's `breast-cancer` versions vouched otherwise."""
    saved = {var: os.environ.get(var) for var in ISOLATED_ENV}
    yield
    for var, value in saved.items():
        if value is None:
            os.environ.pop(var, None)
        elif os.environ.get(var) != value:
            os.environ[var] = value


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh project folder (pyproject.toml only) as the working directory.

    Tracking goes to `<project>/mlflow.db` through the embedded default; no variable leaks in
    from the developer's shell, and none set during the test (MLflow's set_tracking_uri writes
    os.environ) leaks out to the next test.
    """
    root = make_project(tmp_path / "proj")
    isolate(monkeypatch, root)
    yield root
    reset_mlflow_globals()


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


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """PostgreSQL from the Debian package on a free 127.0.0.1 port, for the team-store tests."""
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def pg_mlflow_template(pg_server: PgServer) -> str:
    """A database holding MLflow's migrated, empty schema, made once: tests copy it (fast)."""
    from sqlalchemy.engine import make_url

    from tests.project_helpers import migrate_store

    url = pg_server.create_database("template")
    migrate_store(url)
    return str(make_url(url).database)


@pytest.fixture
def pg_store(pg_server: PgServer, pg_mlflow_template: str) -> Iterator[str]:
    """A fresh PostgreSQL MLflow store of its own (a copy of the migrated template): its URL.

    Afterwards the engines opened on it in this process are disposed: MLflow keeps a store per
    URI in an lru_cache of 100, and one pushed out later by other tests' stores would be dropped
    with its pooled connections open, closed by the garbage collector with a warning in
    whichever later test it ran (pytest makes that an error)."""
    uri = pg_server.create_database("mlflow", template=pg_mlflow_template)
    yield uri
    dispose_engines(uri)
