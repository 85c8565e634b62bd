"""The git facts runs are stamped with, read with the `git` command (never an error outside git)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_output(folder: str | Path, *args: str) -> str | None:
    """stdout of `git ARGS` run in `folder`, or None when git is missing or the command fails."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def head_commit(folder: str | Path) -> str | None:
    """HEAD of the repository holding `folder`; None outside a repository or before a commit."""
    out = git_output(folder, "rev-parse", "--verify", "HEAD")
    return out.strip() if out and out.strip() else None
