"""The GitOps remote the deploy task pushes to, served on 127.0.0.1 like the other stand-ins.

The `<pipeline>-gitops` ConfigMap (written by the environment's serving overlay) names the
repository, branch and overlay path; the rehearsal swaps only the repository's address, as it
does for the MLflow and S3 addresses. The repository is a local bare one: the user's
(`--gitops-repo PATH`), or a stand-in seeded with the project's serving overlay at the path the
ConfigMap names. `git daemon` serves it over `git://` with pushes enabled, so the pod reaches it
over the network as it would a git server, not through a mount, and the daemon (not the pod's
uid) owns the repository's files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.deploy.rehearse.services import background_server, free_port, tcp_ready

_IDENT = {
    "GIT_AUTHOR_NAME": "workbench rehearsal",
    "GIT_AUTHOR_EMAIL": "rehearsal@workbench.invalid",
    "GIT_COMMITTER_NAME": "workbench rehearsal",
    "GIT_COMMITTER_EMAIL": "rehearsal@workbench.invalid",
}


@dataclass(frozen=True)
class GitOpsRemote:
    """The bare repository the deploy pod pushed to, and what it pushed."""

    bare: Path
    url: str  # what the pod used: git://127.0.0.1:PORT/NAME
    branch: str
    path: str  # the serving overlay inside the repository
    before: str  # the branch's head when the rehearsal started
    commits: tuple[str, ...] = ()  # new on the branch, oldest first


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, **_IDENT, "GIT_TERMINAL_PROMPT": "0"}
    out = subprocess.run(
        ["git", "-c", "safe.directory=*", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise WorkbenchError(f"git {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout


def bare_path(repo: str) -> Path:
    """`--gitops-repo`: a local bare repository, as a path or a file:// URL."""
    path = Path(repo.removeprefix("file://")).resolve()
    if not (path / "HEAD").is_file() or not (path / "objects").is_dir():
        raise WorkbenchError(f"--gitops-repo {repo}: not a bare git repository")
    return path


def seed(project: Path, path: str, branch: str, bare: Path) -> Path:
    """A bare repository whose `branch` holds the project's `path` folder, one commit."""
    source = project / path
    if not source.is_dir():
        raise WorkbenchError(
            f"the gitops ConfigMap's path {path}: no such folder in {project} "
            "(the serving overlay the deploy task edits); run `workbench productionize`"
        )
    shutil.rmtree(bare, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="gitops-seed-") as tmp:
        work = Path(tmp)
        shutil.copytree(source, work / path)
        _git("init", "-q", "-b", branch, cwd=work)
        _git("add", ".", cwd=work)
        _git("commit", "-q", "-m", f"seed: {path} as in the project", cwd=work)
        _git("clone", "-q", "--bare", str(work), str(bare))
    return bare


def head(bare: Path, branch: str) -> str:
    try:
        return _git("rev-parse", "--verify", "-q", f"refs/heads/{branch}", cwd=bare).strip()
    except WorkbenchError:
        raise WorkbenchError(
            f"{bare}: no branch {branch!r} (the gitops ConfigMap's branch)"
        ) from None


def new_commits(bare: Path, branch: str, before: str) -> tuple[str, ...]:
    out = _git("rev-list", "--reverse", f"{before}..refs/heads/{branch}", cwd=bare)
    return tuple(out.split())


@contextmanager
def serve(bare: Path, log: Path) -> Iterator[str]:
    """`git daemon` for `bare` on a free 127.0.0.1 port, pushes enabled; yields its URL."""
    port = free_port()
    argv = [
        "git", "-c", "safe.directory=*", "daemon", "--reuseaddr", "--listen=127.0.0.1",
        f"--port={port}", f"--base-path={bare.parent}", "--export-all",
        "--enable=receive-pack", "--informative-errors", str(bare),
    ]  # fmt: skip
    with background_server(argv, tcp_ready(port), log, name="git daemon", deadline_s=30):
        yield f"git://127.0.0.1:{port}/{bare.name}"
