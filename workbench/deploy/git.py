"""The GitOps repository, through the `git` command: shallow clone, commit, push.

Credentials never appear on a command line, in a URL or in a log: when GIT_PASSWORD is set (from
a Secret in the cluster) a credential helper defined inline in `-c` answers git's request from
the environment (GIT_USERNAME, default `git`). For SSH remotes, GIT_SSH_COMMAND with a key
mounted from a Secret works as usual. Git never prompts (GIT_TERMINAL_PROMPT=0).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.redact import redact  # no `user:password@` of a URL in an error

_HELPER = (
    '!f() { test "$1" = get || return 0; echo "username=${GIT_USERNAME:-git}"; '
    'echo "password=${GIT_PASSWORD}"; }; f'
)
_REJECTED = ("[rejected]", "non-fast-forward", "fetch first", "failed to update ref")


class GitError(WorkbenchError):
    """A git command failed: the remote is unreachable, refuses us, or the branch is missing."""


class PushRejected(GitError):
    """Someone pushed first: the caller clones again and re-applies its edit."""


@dataclass(frozen=True)
class Author:
    name: str = "workbench deploy"
    email: str = "deploy@workbench.invalid"


def _config() -> list[str]:
    args = ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"]
    if os.environ.get("GIT_PASSWORD"):
        args += ["-c", "credential.helper=", "-c", f"credential.helper={_HELPER}"]
    return args


def git(args: list[str], cwd: Path | None = None, config: tuple[str, ...] = ()) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    try:
        proc = subprocess.run(
            ["git", *_config(), *config, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed (the deploy image installs it)") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]}: no answer within 300 s") from exc
    if proc.returncode != 0:
        message = redact((proc.stderr or proc.stdout).strip())
        kind = (
            PushRejected if args[0] == "push" and any(r in message for r in _REJECTED) else GitError
        )
        raise kind(f"git {args[0]} failed: {message}")
    return proc.stdout


def clone(url: str, branch: str, dest: Path) -> None:
    git(["clone", "--quiet", "--depth", "1", "--single-branch", "--branch", branch, url, str(dest)])


def commit_and_push(workdir: Path, path: Path, message: str, author: Author, branch: str) -> str:
    """Commit `path` (inside workdir) and push it to `branch`; the new commit's sha."""
    rel = path.relative_to(workdir).as_posix()
    git(["add", "--", rel], cwd=workdir)
    ident = ("-c", f"user.name={author.name}", "-c", f"user.email={author.email}")
    git(["commit", "--quiet", "-m", message, "--", rel], cwd=workdir, config=ident)
    git(["push", "--quiet", "origin", f"HEAD:refs/heads/{branch}"], cwd=workdir)
    return git(["rev-parse", "HEAD"], cwd=workdir).strip()
