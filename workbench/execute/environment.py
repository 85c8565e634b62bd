"""What the kernel inherits: the run's MLflow variables, set around execution and then restored.

papermill starts the kernel as a child of this process, so the child sees our `os.environ`.
MLflow inside the kernel reads MLFLOW_RUN_ID, so `mlflow.log_metric(...)` and `mlflow.start_run()`
attach to the run this process created instead of opening a second one.
"""

from __future__ import annotations

import os
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


def project_relative(path: Path, root: Path) -> str:
    """`path` relative to the project root in POSIX form; absolute when outside the project."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()
