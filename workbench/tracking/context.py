"""What a tracked run records about where it came from: notebook, cell, git commit, packages.

Git and package versions do not change while a kernel or step process lives (the cost of a
`git` subprocess is paid once per process, not once per run), so both are cached. The notebook
path and the executing cell are read fresh on every run.
"""

from __future__ import annotations

import os
import platform
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from workbench import __version__
from workbench.core.git import git_output, head_commit
from workbench.core.settings import find_project_root

NOTEBOOK_ENV = "WORKBENCH_NOTEBOOK"  # set by `workbench run` and the pipeline runner
JUPYTER_SESSION_ENV = "JPY_SESSION_NAME"  # set by jupyter_server in the kernel's environment

NOTEBOOK_TAG = "workbench.notebook"
CELL_TAG = "workbench.cell"
GIT_DIRTY_TAG = "workbench.git.dirty"
SOURCE_NAME_TAG = "mlflow.source.name"
SOURCE_TYPE_TAG = "mlflow.source.type"
GIT_COMMIT_TAG = "mlflow.source.git.commit"
VERSION_TAG_PREFIX = "workbench.version."
CELL_ARTIFACT_DIR = "workbench/cells"

# Distributions whose versions decide whether a result can be reproduced.
PACKAGES = ("numpy", "pandas", "scikit-learn", "mlflow", "scipy", "optuna")
CELL_TAG_CHARS = 120


def notebook_path() -> str | None:
    """The executing notebook, relative to the project root when it lies inside it."""
    raw = os.environ.get(NOTEBOOK_ENV) or os.environ.get(JUPYTER_SESSION_ENV)
    if not raw:
        return None
    path = Path(raw)
    if path.is_absolute():
        try:
            return path.resolve().relative_to(find_project_root()).as_posix()
        except ValueError:
            return raw
    return path.as_posix()


def current_cell() -> tuple[int, str] | None:
    """(execution count, source) of the cell running now, when inside an IPython kernel.

    IPython stores a cell's raw input in its history before executing it (papermill and
    JupyterLab both execute with store_history), so the last history entry is this cell.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    if not history:
        return None
    return int(getattr(shell, "execution_count", len(history) - 1) or 0), str(history[-1])


def cell_tag(source: str, execution_count: int) -> str:
    """A short, readable tag: the execution count and the cell's first non-blank line."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if len(first) > CELL_TAG_CHARS:
        first = first[: CELL_TAG_CHARS - 3] + "..."
    return f"In[{execution_count}]: {first}"


@lru_cache(maxsize=16)
def git_state(folder: str) -> tuple[str, bool] | None:
    """(HEAD commit, dirty?) of the repository holding `folder`; None outside a repository.

    Dirty means tracked files differ from HEAD; untracked files (stores, outputs) do not count.
    """

    commit = head_commit(folder)
    if commit is None:
        return None
    status = git_output(folder, "status", "--porcelain", "--untracked-files=no")
    return commit, bool(status and status.strip())


@lru_cache(maxsize=1)
def package_versions() -> tuple[tuple[str, str], ...]:
    """Installed versions of the packages in PACKAGES (absent ones left out), plus python."""
    found = [("python", platform.python_version()), ("workbench", __version__)]
    for name in PACKAGES:
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(found)


def context_tags(notebook: str | None = None) -> dict[str, str]:
    """Tags describing the notebook, git state and package versions of the current process."""
    tags: dict[str, str] = {}
    notebook = notebook or notebook_path()
    if notebook:
        tags[SOURCE_NAME_TAG] = notebook
        tags[NOTEBOOK_TAG] = notebook
        tags[SOURCE_TYPE_TAG] = "NOTEBOOK"
    state = git_state(str(find_project_root()))
    if state is not None:
        tags[GIT_COMMIT_TAG] = state[0]
        tags[GIT_DIRTY_TAG] = "true" if state[1] else "false"
    for name, version in package_versions():
        tags[VERSION_TAG_PREFIX + name] = version
    return tags
