"""What the kernel inherits: the run's MLflow variables, set around execution and then restored.

papermill starts the kernel as a child of this process, so the child sees our `os.environ`.
MLflow inside the kernel reads MLFLOW_RUN_ID, so `mlflow.log_metric(...)` and `mlflow.start_run()`
attach to the run this process created instead of opening a second one.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set variables for the duration of the block; restore (or remove) them afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, previous in saved.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous


def git_commit(root: Path) -> str | None:
    """HEAD of the git repository holding `root`, or None outside git (never an error)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def project_relative(path: Path, root: Path) -> str:
    """`path` relative to the project root in POSIX form; absolute when outside the project."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()
