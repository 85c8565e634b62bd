"""A throw-away workbench project for tests, isolated from the developer's shell and from other
tests: the one recipe behind the `project` fixture and the module- or session-scoped stores."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

PYPROJECT = '[project]\nname = "proj"\nversion = "0"\n\n[tool.workbench]\n'

ISOLATED_ENV = (
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
    "WORKBENCH_UI_URL",
)


def make_project(root: Path) -> Path:
    """A project folder holding only a pyproject.toml with an empty [tool.workbench]."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    return root


def reset_mlflow_globals() -> None:
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


def isolate(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Make `root` the working directory with no tracking or workbench variable set.

    Each variable is set then deleted through monkeypatch, which records its original value (or
    its absence): one that MLflow's set_tracking_uri writes during the test is undone too.
    """
    for var in ISOLATED_ENV:
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    reset_mlflow_globals()
    monkeypatch.chdir(root)


def migrate_store(uri: str) -> None:
    """Create MLflow's tables in the store at `uri` (its alembic migrations), then let go of it.

    The engine MLflow keeps per URI is disposed, so a PostgreSQL database used as a template
    has no open connection left (CREATE DATABASE ... TEMPLATE refuses one that is in use).
    """
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    SqlAlchemyStore(uri, "/tmp/unused-artifacts").engine.dispose()


def terminate(
    proc: subprocess.Popen[bytes], timeout: float, sig: signal.Signals = signal.SIGTERM
) -> None:
    """Signal a server a test started (SIGTERM unless told); SIGKILL it if it has not exited
    within `timeout` s."""
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def open_descriptors(path: Path) -> list[str]:
    """This process's file descriptors open on `path` (a SQLite connection or a log holds one)."""
    import contextlib

    found = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                found.append(fd)
    return found


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """Serve `handler` (a fake GitHub, Argo Server, Argo CD) on a free 127.0.0.1 port in a
    thread; yield the port; stop it. serve_forever looks for shutdown() every 0.5 s by default,
    so each stop in a test's teardown waited up to that long: here every 20 ms."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    ).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
