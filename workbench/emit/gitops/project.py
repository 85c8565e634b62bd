"""What the platform manifests are generated from: the project, its GitOps repository and the
pipelines already productionized under manifests/ (pure data; discovery is in `discover`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.core.errors import WorkbenchError
from workbench.emit.argo.options import Names, dns_name

PLATFORM_DIR = "platform"  # manifests/platform/: a pipeline may not be called so
ENVIRONMENTS = ("staging", "production")


@dataclass(frozen=True)
class PipelineRef:
    name: str
    cache_config_maps: tuple[str, ...] = ()  # Argo memoization ConfigMaps (never in git)
    has_serving: bool = False
    has_deploy: bool = False  # a template runs workbench/BASE-deploy (CI builds and pins it)

    @property
    def base(self) -> str:
        return Names.of(self.name).base

    def namespace(self, env: str) -> str:
        return f"{self.base}-{env}"


@dataclass(frozen=True)
class PlatformSpec:
    project: str  # DNS name
    repo_url: str  # the project's git repository (https), watched by Argo CD
    github_owner: str
    github_repo: str
    pipelines: tuple[PipelineRef, ...]
    main_branch: str = "main"  # pushes here (and PRs against it) start CI
    gitops_branch: str = "main"  # Argo CD's target revision; CI pushes image updates here
    region: str = "eu-west-1"
    environments: tuple[str, ...] = ENVIRONMENTS
    buckets: tuple[str, ...] = ("mlflow-artifacts", "pipeline-artifacts", "data")
    ci_scripts: tuple[tuple[str, str], ...] = ()  # (file name, text) of ci/scripts/*.sh
    registry: str = "registry.example.com/ml"  # where CI pushes images (placeholder)
    # where build-ci pushes the CI image (git, make, python, workbench); never run by a tag:
    # the steps after build-ci run the digest it pushed, the steps before it the digest the
    # last main run recorded in the ConfigMap `PROJECT-ci-image` (see emit/gitops/ci.py)
    ci_image_repository: str = "registry.example.com/ml/workbench-ci"
    argocd_server: str = "https://argocd-server.argocd.svc"
    argo_ui: str = "https://argo-server.argo.svc:2746"  # commit statuses link the workflow here
    staging_endpoint: str = "http://placeholder.staging.svc:9000"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ci_namespace(self) -> str:
        return f"{self.project}-ci"

    @property
    def ci_template(self) -> str:
        return f"{self.project}-ci"

    @property
    def ci_image_config_map(self) -> str:
        """Holds `image`: REPOSITORY@sha256:DIGEST, the CI image the next run starts in."""
        return f"{self.project}-ci-image"

    def bucket_name(self, purpose: str) -> str:
        return f"{self.project}-{purpose}"


def parse_github(repo_url: str) -> tuple[str, str]:
    """(owner, name) of an https or ssh GitHub URL; anything else is refused by name."""
    text = repo_url.strip()
    for prefix in ("https://github.com/", "git@github.com:", "ssh://git@github.com/"):
        if text.startswith(prefix):
            parts = text[len(prefix) :].removesuffix(".git").strip("/").split("/")
            if len(parts) == 2 and all(parts):
                return parts[0], parts[1]
    raise WorkbenchError(
        f"--repo {repo_url!r}: expected a GitHub repository URL "
        "(https://github.com/OWNER/NAME.git); the EventSource listens for GitHub webhooks"
    )


def discover(manifests: Path) -> tuple[PipelineRef, ...]:
    """The productionized pipelines: every manifests/NAME/ with a base WorkflowTemplate."""
    found = []
    for template in sorted(manifests.glob("*/base/workflowtemplate.yaml")):
        name = template.parent.parent.name
        if name == PLATFORM_DIR:
            raise WorkbenchError(f"{template}: a pipeline may not be called {PLATFORM_DIR!r}")
        found.append(
            PipelineRef(
                name=name,
                cache_config_maps=_cache_config_maps(template),
                has_serving=(template.parent / "serving").is_dir(),
                has_deploy=_runs_image(template, f"workbench/{Names.of(name).base}-deploy"),
            )
        )
    if not found:
        raise WorkbenchError(
            f"{manifests}: no productionized pipeline (manifests/NAME/base/workflowtemplate.yaml);"
            " run `workbench productionize NOTEBOOK` first"
        )
    return tuple(found)


def _runs_image(path: Path, image: str) -> bool:
    """Whether a container template of the WorkflowTemplate file runs IMAGE (any tag)."""
    for doc in _documents(path):
        for template in (doc or {}).get("spec", {}).get("templates", []) or []:
            found = str((template.get("container") or {}).get("image", ""))
            if found == image or found.startswith((f"{image}:", f"{image}@")):
                return True
    return False


def _documents(path: Path) -> list[Any]:
    try:
        return list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        raise WorkbenchError(f"{path}: cannot read ({exc})") from exc


def _cache_config_maps(path: Path) -> tuple[str, ...]:
    """The memoization ConfigMaps the WorkflowTemplate's templates name (Argo creates them)."""
    names = set()
    for doc in _documents(path):
        for template in (doc or {}).get("spec", {}).get("templates", []) or []:
            cache = (template.get("memoize") or {}).get("cache") or {}
            name = (cache.get("configMap") or {}).get("name")
            if name:
                names.add(str(name))
    return tuple(sorted(names))


def read_ci_scripts(root: Path) -> tuple[tuple[str, str], ...]:
    """The project's CI step scripts, embedded in the CI scripts ConfigMap."""
    folder = root / "ci" / "scripts"
    return tuple((p.name, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.sh")))


def project_name(root: Path, given: str | None) -> str:
    return dns_name(given or root.name)
