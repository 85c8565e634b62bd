"""Expensive test set-ups built once and reused by the digest of what they are built from.

A folder under the test cache (`WORKBENCH_TEST_CACHE`, default `~/.cache/workbench-tests`) is
named by a digest of its inputs, built under an exclusive file lock (so two pytest-xdist workers,
or two pytest runs, never build the same one at once: the second waits, then reuses it), built in
a side folder and renamed into place only when complete (a killed build leaves nothing that
looks finished).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from workbench.core.fs import built_in_place
from workbench.core.hashing import tree_sha256

__all__ = ["built_in_place", "built_once", "cache_root", "compile_venv", "digest", "tree_digest"]

COMPLETE = ".complete"


def cache_root() -> Path:
    given = os.environ.get("WORKBENCH_TEST_CACHE")
    return Path(given) if given else Path.home() / ".cache" / "workbench-tests"


def digest(*parts: object) -> str:
    """A short digest of JSON-serialisable inputs (requirements, versions, file contents)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def built_once(folder: Path, build: Callable[[Path], None]) -> Path:
    """`folder`, built by `build(side_folder)` unless an earlier build completed it."""
    if (folder / COMPLETE).exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        if (folder / COMPLETE).exists():  # another worker built it while we waited
            return folder
        side = folder.with_name(f"{folder.name}.building-{os.getpid()}")
        shutil.rmtree(side, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)  # an incomplete leftover
        build(side)
        (side / COMPLETE).write_text("ok\n")
        side.rename(folder)
    return folder


def compile_venv(venv: Path) -> None:
    """The bytecode of a venv a test built (with uv, without `--compile-bytecode`), from the
    store the rehearsal's image venvs share: each distinct source file is compiled once per
    test cache, not once per venv (~30 s of CPU for a site-packages with scikit-learn and
    MLflow); see `workbench.deploy.rehearse.bytecode`."""
    import sys

    from workbench.deploy.rehearse.image import bytecode_store, compile_bytecode

    minor = f"python{sys.version_info.major}.{sys.version_info.minor}"
    store = bytecode_store(cache_root() / "rehearsal-image-venvs")
    compile_bytecode(venv / "bin" / "python", store, venv / "lib" / minor / "site-packages")


def tree_digest(folder: Path) -> str:
    """A short digest of every file under `folder` (bytecode left out)."""
    return tree_sha256(folder, skip=lambda p: "__pycache__" in p.parts or p.suffix == ".pyc")[:16]


def mlflow_sqlite_template() -> Path:
    """An empty MLflow SQLite store with its schema migrated (MLflow's ~50 alembic migrations,
    1-7 s here), made once per MLflow/SQLAlchemy/alembic/SQLite version: copy it, never open it."""
    import sqlite3

    import alembic
    import mlflow
    import sqlalchemy

    from tests.project_helpers import migrate_store

    versions = (mlflow.__version__, sqlalchemy.__version__, alembic.__version__)
    folder = cache_root() / "mlflow-stores" / digest("sqlite", *versions, sqlite3.sqlite_version)

    def build(side: Path) -> None:
        side.mkdir(parents=True)
        migrate_store(f"sqlite:///{side / 'mlflow.db'}")

    return built_once(folder, build) / "mlflow.db"


def copy_mlflow_store(target: Path, default_artifacts: Path) -> None:
    """A fresh, real, empty MLflow SQLite store at `target` (a copy of the migrated template),
    its default experiment's artifact folder set where MLflow would have chosen it."""
    import sqlite3
    from contextlib import closing

    shutil.copyfile(mlflow_sqlite_template(), target)
    with closing(sqlite3.connect(target)) as db, db:
        db.execute(
            "UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
            (str(default_artifacts),),
        )
