"""A model of Argo CD's ApplicationSet controller for the subset the platform emitter generates,
so the tests can say which Applications the generated ApplicationSets produce from the GitOps
branch as it is in a (local) repository.

Modelled on argo-cd applicationset/generators/git.go (generateParamsFromGitFile): a git files
generator yields one parameter set per file at `revision` matching its `path`; a file parses
as one YAML/JSON object (its keys become parameters); no file, no parameter set, no
Application. The template becomes one Application per parameter set. Anything else (other
generators, globs, excludes, path prefixes, template parameters, template patches,
selectors, progressive sync) is refused by name.
"""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

import yaml

_SPEC = {"goTemplate", "goTemplateOptions", "generators", "syncPolicy", "template"}
_GIT = {"repoURL", "revision", "files"}
_GLOB = set("*?[{")


class Unsupported(Exception):
    """The ApplicationSet uses a feature this model does not evaluate."""


def _refuse(where: str, obj: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(obj) - allowed)
    if extra:
        raise Unsupported(f"{where}: {', '.join(extra)} not modelled")


def _files_at(repo: Path, revision: str) -> set[str]:
    """Every file committed at `revision` (not the working tree's)."""
    names = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", revision],
        cwd=repo, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    return set(names)


def _show(repo: Path, revision: str, path: str) -> str:
    return subprocess.run(
        ["git", "show", f"{revision}:{path}"], cwd=repo, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip


def generate(appset: dict[str, Any], repo: Path, repo_url: str) -> list[dict[str, Any]]:
    """The Applications `appset` generates from `repo` (a clone of `repo_url`)."""
    name = appset["metadata"]["name"]
    spec = appset["spec"]
    _refuse(name, spec, _SPEC)
    if spec.get("goTemplateOptions", ["missingkey=error"]) != ["missingkey=error"]:
        raise Unsupported(f"{name}: goTemplateOptions not modelled")
    template = spec["template"]
    if "{{" in yaml.safe_dump(template):
        raise Unsupported(f"{name}: template parameters not modelled")
    apps = []
    for generator in spec["generators"]:
        _refuse(f"{name} generator", generator, {"git"})
        git = generator["git"]
        _refuse(f"{name} git generator", git, _GIT)
        if git["repoURL"] != repo_url:
            return []  # another repository: nothing of this one matches
        found = _files_at(repo, git["revision"])
        for entry in git["files"]:
            _refuse(f"{name} files", entry, {"path"})
            if _GLOB & set(entry["path"]):
                raise Unsupported(f"{name}: glob {entry['path']!r} not modelled")
            if entry["path"] not in found:
                continue
            params = yaml.safe_load(_show(repo, git["revision"], entry["path"])) or {}
            if not isinstance(params, dict):
                raise Unsupported(f"{name}: {entry['path']} is not one object")
            apps.append(
                {
                    "apiVersion": appset["apiVersion"],
                    "kind": "Application",
                    "metadata": copy.deepcopy(template["metadata"]),
                    "spec": copy.deepcopy(template["spec"]),
                }
            )
    return apps
