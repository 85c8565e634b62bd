"""`workbench deploy`: point an environment's serving overlay at the model version that holds
`champion`, and commit that change to the GitOps repository Argo CD syncs.

    deploy("manifests/train/overlays/production/serving", "breast-cancer",
           candidate=7, repo="https://git.example.com/ml/gitops.git")

- The target is the registry's `champion` (or `version=` to pin one by hand).
- With `candidate=` (the version this pipeline run registered), nothing happens unless that
  candidate holds `champion`: a run whose promotion did not move `champion` changes nothing;
  nor does anything change while no version holds `champion` (no promotion gate ran yet).
- An overlay that already serves the target changes nothing (a retried task is harmless).
- With `repo=`, the overlay path is inside that repository: shallow clone into a temporary
  folder, edit, commit, push; when someone pushed first, clone again and re-apply (3 tries).
  Without it, the overlay in the working tree is edited in place (commit it yourself).
Nothing is half-written: the edit is atomic, and a failed commit or push leaves the remote as it
was (the clone is thrown away).

The package holds the network- and process-facing deployment tools, kept apart from
`workbench.emit`, which stays pure (spec -> text): this rollout, the pod-faithful rehearsal of the
built Argo manifests (`rehearse`) and the Argo Server client (`argo_client`: submit, wait,
status, logs).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from workbench.core.errors import ConfigError
from workbench.deploy.git import Author, GitError, PushRejected, clone, commit_and_push, redact
from workbench.deploy.overlay import served_model, set_served_version

__all__ = ["Author", "DeployResult", "GitError", "Target", "deploy", "resolve_target"]


@dataclass(frozen=True)
class Target:
    version: int | None  # None: nothing to deploy
    reason: str


@dataclass(frozen=True)
class DeployResult:
    changed: bool
    message: str
    uri: str = ""
    commit: str = ""
    path: Path | None = None  # the kustomization file


def resolve_target(model: str, *, version: int | None, candidate: int | None) -> Target:
    """Which version the overlay should serve; Target(None, why) when nothing is to be done."""
    if version is not None:
        return Target(version, f"pinned by hand to v{version}")
    from workbench.tracking.aliases import alias_version

    champion = alias_version(model, "champion")
    if champion is None:
        # a pipeline that registers without a promotion gate ends with this task too: no
        # champion means promotion moved nothing, so nothing changes (and the run succeeds)
        return Target(
            None, f"no version of {model} holds champion; the serving manifests stay as they are"
        )
    if candidate is not None and candidate != champion.version:
        return Target(
            None,
            f"{model} v{candidate} did not take champion (champion is v{champion.version}); "
            "the serving manifests stay as they are",
        )
    why = champion.reason or "set by hand in the registry"
    return Target(champion.version, f"v{champion.version} holds champion: {why}")


def _apply(folder: Path, model: str, target: Target) -> DeployResult:
    assert target.version is not None
    served = served_model(folder, model)
    if served.version == target.version:
        message = f"{served.path} already serves {served.uri}"
        return DeployResult(False, message, served.uri, path=served.path)
    new = set_served_version(folder, model, target.version)
    return DeployResult(True, f"{new.path}: {served.uri} -> {new.uri}", new.uri, path=new.path)


def _inside(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ConfigError(f"{path}: the overlay path must be relative to the repository root")
    return rel


def deploy(
    overlay: str,
    model: str,
    *,
    version: int | None = None,
    candidate: int | None = None,
    repo: str | None = None,
    branch: str = "main",
    author: Author | None = None,
    attempts: int = 3,
) -> DeployResult:
    target = resolve_target(model, version=version, candidate=candidate)
    if target.version is None:
        return DeployResult(False, target.reason)
    if repo is None:
        result = _apply(Path(overlay), model, target)
        message = f"{result.message} ({target.reason})"
        return DeployResult(result.changed, message, result.uri, path=result.path)
    rel = _inside(overlay)
    for _ in range(attempts):
        with tempfile.TemporaryDirectory(prefix="workbench-deploy-") as tmp:
            work = Path(tmp) / "repo"
            clone(repo, branch, work)
            result = _apply(work / rel, model, target)
            if not result.changed or result.path is None:
                return result
            message = f"deploy {model} v{target.version} to {rel}\n\n{target.reason}\n"
            try:
                sha = commit_and_push(work, result.path, message, author or Author(), branch)
            except PushRejected:
                continue  # someone pushed first: clone again, decide again
            text = f"{rel}: -> {result.uri}, commit {sha[:12]} on {redact(repo)} {branch}"
            return DeployResult(True, text, result.uri, sha, path=result.path)
    raise GitError(f"{redact(repo)} {branch}: push rejected {attempts} times (busy branch?)")
