"""`rehearse`: run a pipeline's built Argo manifests here, the way the cluster's pods would.

    from workbench.deploy.rehearse import rehearse
    result = rehearse(Path("."), "train", "staging", template="steps")

See README ("Rehearsal") for what is modelled and what is not.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from workbench.core.errors import WorkbenchError
from workbench.deploy.rehearse import gitops
from workbench.deploy.rehearse import image as image_mod
from workbench.deploy.rehearse.compare import Comparison
from workbench.deploy.rehearse.engine import (
    Cluster,
    PodImage,
    PodResult,
    run_workflow,
    untagged,
    workflow_name,
)
from workbench.deploy.rehearse.lineage import RunTree, differences, read_tree
from workbench.deploy.rehearse.services import (
    ACCESS_KEY,
    SECRET_KEY,
    Services,
    make_buckets,
    services,
)
from workbench.deploy.rehearse.workflow import Built, check_subset
from workbench.tracking.run_tree import store_state

TEMPLATES = ("steps", "notebook", "sweep", "tune", "cron")
STATE = ".workbench/rehearsal"


@dataclass(frozen=True)
class Rehearsal:
    template: str
    parameters: Mapping[str, str]
    pods: list[PodResult]
    tracking_uri: str
    model_store: Path  # the model-store claim's folder
    workdir: Path
    registered: Mapping[str, list[str]]  # model name -> versions on the tracking server
    runs: int  # runs on the tracking server
    comparison: Comparison | None = None  # against `workbench pipeline run`; None: not run
    lineage: RunTree | None = None  # the workflow's parent run and its step runs (steps, cron)
    gitops: gitops.GitOpsRemote | None = None  # the deploy task's remote; None: no deploy task


def _template_name(built: Built, base: str, kind: str) -> tuple[str, dict[str, str]]:
    """(WorkflowTemplate name, argument overrides) for a --template choice."""
    if kind == "steps":
        return base, {}
    if kind in ("notebook", "sweep", "tune"):
        return f"{base}-{kind}", {}
    cron = built.get("CronWorkflow", f"{base}-scheduled")["spec"]["workflowSpec"]
    ref = cron.get("workflowTemplateRef", {}).get("name")
    params = cron.get("arguments", {}).get("parameters", []) or []
    return str(ref), {p["name"]: str(p.get("value", "")) for p in params}


def _secrets(path: Path | None) -> dict[str, dict[str, str]]:
    """The Secrets a cluster would hold: a local file (never committed), else the local S3's
    stand-in credentials under the names the manifests reference."""
    if path is not None:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in loaded.items()}
    creds = {"access-key-id": ACCESS_KEY, "secret-access-key": SECRET_KEY}
    return {"workbench-s3-credentials": creds}


def _seed_data(
    parameters: Mapping[str, str], spec: Mapping[str, Any], project: Path, fs: Any
) -> None:
    """Put each data file a parameter's s3:// URI names there, from the notebook's default path
    (what a team does once per environment)."""
    from workbench.emit.argo.cron import data_uri

    for param in spec.get("parameters", []):
        default = param.get("default")
        value = parameters.get(param["name"], "")
        if not isinstance(default, str) or not value.startswith("s3://"):
            continue
        local = project / default
        if local.is_file() and data_uri(default) == value:
            fs.put(str(local), value.removeprefix("s3://"))


def rehearse(
    project: Path,
    pipeline: str,
    overlay: str,
    *,
    template: str = "steps",
    parameters: Mapping[str, str] | None = None,
    secrets_file: Path | None = None,
    compare: bool = True,
    running: Services | None = None,
    gitops_repo: str | None = None,
) -> Rehearsal:
    """Rehearse one template of `pipeline` as built by `overlay`; `running` reuses servers
    (tests rehearse several templates against one S3 and one MLflow server); `gitops_repo`
    (a local bare repository, path or file:// URL) is where the deploy task pushes, in place
    of the repository the gitops ConfigMap names (default: a stand-in seeded from the project)."""
    with ExitStack() as stack:
        if running is None:
            workdir = project / STATE / "services"
            workdir.mkdir(parents=True, exist_ok=True)
            running = stack.enter_context(services(workdir))
        return _rehearse(
            project,
            pipeline,
            overlay,
            template,
            parameters,
            secrets_file,
            compare,
            running,
            gitops_repo,
        )


def _rehearse(
    project: Path,
    pipeline: str,
    overlay: str,
    template: str,
    parameters: Mapping[str, str] | None,
    secrets_file: Path | None,
    compare: bool,
    svc: Services,
    gitops_repo: str | None,
) -> Rehearsal:
    from workbench.deploy.argo_client import overlay_dir, render_overlay
    from workbench.emit.argo.deploy import gitops_config_map
    from workbench.emit.argo.options import Names

    if template not in TEMPLATES:
        raise WorkbenchError(f"--template {template!r}: one of {', '.join(TEMPLATES)}")
    if shutil.which("kubectl") is None:
        raise WorkbenchError(
            "the rehearsal builds the overlay with `kubectl kustomize`: install kubectl"
        )
    folder = overlay_dir(project / "manifests", pipeline, overlay)
    built = Built.parse(render_overlay(folder)[0])
    config_maps = _config_maps(built, folder)
    names = Names.of(pipeline)
    tpl_name, overrides = _template_name(built, names.base, template)
    workflow = built.get("WorkflowTemplate", tpl_name)
    check_subset(workflow)
    args = {
        p["name"]: str(p.get("value", ""))
        for p in workflow["spec"].get("arguments", {}).get("parameters", [])
    }
    args.update(overrides)
    unknown = sorted(set(parameters or {}) - set(args))
    if unknown:
        raise WorkbenchError(f"unknown parameter(s) {unknown}; known: {sorted(args)}")
    args.update(parameters or {})
    state = project / STATE
    workdir = state / "runs" / f"{pipeline}-{template}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    workdir.chmod(0o755)
    img = image_mod.read_dockerfile(project / "steps" / pipeline / "Dockerfile")
    staging = workdir / "image"
    image_mod.stage_files(img, project, staging)
    # the step pods get requirements.txt alone (it must suffice: it is the steps' lock digest),
    # the others (lineage, notebook, sweep) every layer of the image
    venv = image_mod.build_venv(img, staging, image_mod.venv_cache(state), 1)
    image_venv = image_mod.build_venv(img, staging, image_mod.venv_cache(state), len(img.installs))
    image_mod.drop_sources(img, staging)
    repo = yaml.safe_load(built.config_maps()[names.artifact_repository]["s3"])["s3"]
    spec = json.loads((project / "steps" / pipeline / "pipeline.json").read_text(encoding="utf-8"))
    buckets = [repo["bucket"]] + [
        v[5:].split("/")[0] for v in args.values() if v.startswith("s3://")
    ]
    make_buckets(svc, buckets)
    fs = svc.s3()
    _seed_data(args, spec, project, fs)
    config = config_maps[names.config_map]
    endpoints = {  # the cluster's service addresses -> the local stand-ins
        config.get("mlflow-tracking-uri", ""): svc.tracking_uri,
        config.get("s3-endpoint-url", ""): svc.s3_url,
    }
    cluster = Cluster(
        workdir=workdir, image_env=img.env, image_user=img.user,
        app=staging / img.workdir.lstrip("/"), venv=venv, image_venv=image_venv,
        workdir_default=img.workdir,
        config_maps=config_maps, secrets=_secrets(secrets_file),
        endpoints=endpoints, bucket=repo["bucket"], s3=fs, pipeline=pipeline,
        pvcs=svc.volumes, hidden=image_mod.system_packages(img, project / "steps" / pipeline /
                                                           "Dockerfile"),
        images=_other_images(project, pipeline, workflow, workdir, state),
    )  # fmt: skip
    _readonly(staging)
    name = workflow_name(workflow)
    with ExitStack() as stack:
        remote = _gitops_remote(project, pipeline, workflow, config_maps, gitops_repo, workdir)
        if remote is not None:
            url = stack.enter_context(gitops.serve(remote.bare, workdir / "git-daemon.log"))
            remote = replace(remote, url=url)
            endpoints[config_maps[gitops_config_map(pipeline)]["repo"]] = url
        pods = run_workflow(workflow, args, cluster, name)
    if remote is not None:
        remote = replace(remote, commits=gitops.new_commits(remote.bare, remote.branch,
                                                            remote.before))  # fmt: skip
    registered, runs = store_state(svc.tracking_uri)
    found, tree = None, None
    if template in ("steps", "cron"):
        tree = read_tree(svc.tracking_uri, pipeline, name)
    if compare and tree is not None:
        from workbench.deploy.rehearse.compare import compare as compare_runs
        from workbench.deploy.rehearse.compare import run_local

        given = [f"{k}={v}" for k, v in (parameters or {}).items() if not v.startswith("s3://")]
        store = run_local(project, pipeline, workdir / "local", given)
        found = compare_runs(pods, store, spec, args)
        local_uri = f"sqlite:///{workdir / 'local' / 'mlflow.db'}"
        found.lineage_mismatches = differences(tree, read_tree(local_uri, pipeline))
    return Rehearsal(template, args, pods, svc.tracking_uri, svc.volumes, workdir, registered,
                     runs, found, tree, remote)  # fmt: skip


def _config_maps(built: Built, folder: Path) -> dict[str, Mapping[str, str]]:
    """The ConfigMaps in the pods' namespace: the overlay's, and those of the environment's
    serving overlay (`overlays/ENV/serving`, synced beside it: it writes the gitops ConfigMap)."""
    from workbench.deploy.argo_client import render_overlay

    found = built.config_maps()
    serving = folder / "serving"
    if not (serving / "kustomization.yaml").is_file():
        return found
    spaces = {str(d.get("metadata", {}).get("namespace")) for d in built.docs.values()}
    for (kind, name), doc in Built.parse(render_overlay(serving)[0]).docs.items():
        # a ConfigMap in another namespace is not the pods' to read
        if kind == "ConfigMap" and str(doc.get("metadata", {}).get("namespace")) in spaces:
            found.setdefault(name, doc.get("data", {}) or {})
    return found


def _container_images(workflow: Mapping[str, Any]) -> set[str]:
    return {
        untagged(str(t["container"].get("image", "")))
        for t in workflow["spec"]["templates"]
        if "container" in t
    }


def _other_images(
    project: Path, pipeline: str, workflow: Mapping[str, Any], workdir: Path, state: Path
) -> dict[str, PodImage]:
    """The deploy image (target `deploy` of steps/NAME/serving.Dockerfile), when a template
    runs it: staged and built as the steps image is, read-only."""
    from workbench.emit.argo.options import dns_name

    name = f"workbench/{dns_name(pipeline)}-deploy"  # emit.argo.deploy.deploy_image
    if name not in _container_images(workflow):
        return {}
    dockerfile = project / "steps" / pipeline / "serving.Dockerfile"
    img = image_mod.read_dockerfile(dockerfile, target="deploy")
    staging = workdir / "deploy-image"
    image_mod.stage_files(img, project, staging)
    venv = image_mod.build_venv(img, staging, image_mod.venv_cache(state), len(img.installs))
    image_mod.drop_sources(img, staging)
    _readonly(staging)
    hidden = image_mod.system_packages(img, dockerfile)
    app = staging / img.workdir.lstrip("/")
    app.mkdir(parents=True, exist_ok=True)
    packages = f"{dockerfile.relative_to(project)} (target deploy)"
    return {name: PodImage(img.env, img.user, app, venv, img.workdir, hidden, packages)}


def _gitops_remote(
    project: Path,
    pipeline: str,
    workflow: Mapping[str, Any],
    config_maps: Mapping[str, Mapping[str, str]],
    given: str | None,
    workdir: Path,
) -> gitops.GitOpsRemote | None:
    """The bare repository the deploy task pushes to, when a template reads the gitops
    ConfigMap: `given` (--gitops-repo), else a stand-in seeded from the project."""
    from workbench.emit.argo.deploy import gitops_config_map

    cm_name = gitops_config_map(pipeline)
    uses = any(
        (e.get("valueFrom", {}).get("configMapKeyRef") or {}).get("name") == cm_name
        for t in workflow["spec"]["templates"]
        for e in t.get("container", {}).get("env", [])
    )
    if not uses:
        return None
    config = config_maps.get(cm_name)
    if config is None or not all(k in config for k in ("repo", "branch", "path")):
        raise WorkbenchError(
            f"ConfigMap {cm_name} (repo, branch, path): not in the built overlay nor in its "
            "serving overlay; the deploy task reads it"
        )
    branch, path = config["branch"], config["path"]
    if given is not None:
        bare = gitops.bare_path(given)
    else:
        bare = gitops.seed(project, path, branch, workdir / "gitops.git")
    before = gitops.head(bare, branch)
    return gitops.GitOpsRemote(bare=bare, url="", branch=branch, path=path, before=before)


def _readonly(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
