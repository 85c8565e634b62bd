"""Submit a pipeline's WorkflowTemplate to an Argo server, or print what an overlay builds.

The only module here with network I/O. The Workflow is built with hera (a `workflowTemplateRef`
plus parameter arguments) and sent through hera's WorkflowsService, configured like the argo
CLI: ARGO_SERVER (host:port or URL), ARGO_TOKEN, ARGO_SECURE=false for plain http,
ARGO_INSECURE_SKIP_VERIFY=true for self-signed certificates.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from workbench.core.errors import WorkbenchError
from workbench.emit.argo.options import ArgoOptions, Names
from workbench.spec.model import PipelineSpec
from workbench.spec.params import normalise_texts


@dataclass(frozen=True)
class ArgoServer:
    url: str
    token: str
    verify_ssl: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ArgoServer:
        server = env.get("ARGO_SERVER", "").strip()
        token = env.get("ARGO_TOKEN", "").strip()
        missing = [n for n, v in (("ARGO_SERVER", server), ("ARGO_TOKEN", token)) if not v]
        if missing:
            raise WorkbenchError(
                f"{' and '.join(missing)} not set: export ARGO_SERVER=host:2746 and "
                "ARGO_TOKEN (from `argo auth token`), or use --dry-run"
            )
        if "://" not in server:
            secure = env.get("ARGO_SECURE", "true").lower() not in ("false", "0", "no")
            server = f"{'https' if secure else 'http'}://{server}"
        insecure = env.get("ARGO_INSECURE_SKIP_VERIFY", "").lower() in ("true", "1", "yes")
        return cls(url=server.rstrip("/") + "/", token=token, verify_ssl=not insecure)


def submit_parameters(spec: PipelineSpec, items: Sequence[str]) -> dict[str, str]:
    """`-p NAME=VALUE` texts checked and rewritten by the parameter model: the workflow gets the
    canonical text the local runner hashes for its cache key (`C=1` for a float sends `1.0`), so
    a cluster run and a local run with the same values share their step cache keys."""
    given: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise WorkbenchError(f"-p {item!r}: expected NAME=VALUE")
        if key in given:
            raise WorkbenchError(f"-p {key} given twice")
        given[key] = value
    types = {p.name: p.type for p in spec.parameters}
    try:
        return normalise_texts(types, given, owner=f"pipeline {spec.name}")
    except ValueError as exc:
        raise WorkbenchError(str(exc)) from None


def overlay_dir(manifests: Path, pipeline: str, overlay: str) -> Path:
    folder = manifests / pipeline / "overlays" / overlay
    if not (folder / "kustomization.yaml").is_file():
        root = manifests / pipeline / "overlays"
        have = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        raise WorkbenchError(
            f"{folder}: no such overlay (have: {', '.join(have) or 'none'}); "
            f"run `workbench productionize` for pipeline {pipeline!r} first"
        )
    return folder


def overlay_namespace(folder: Path) -> str:
    doc = yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8")) or {}
    namespace = doc.get("namespace") if isinstance(doc, dict) else None
    return str(namespace or ArgoOptions(notebook="").namespace)


def render_overlay(folder: Path) -> tuple[str, str]:
    """(YAML, note): `kubectl kustomize` of the overlay, else the base files as they are."""
    kubectl = shutil.which("kubectl")
    if kubectl:
        out = subprocess.run(
            [kubectl, "kustomize", str(folder)], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            raise WorkbenchError(f"{folder}: kubectl kustomize failed: {out.stderr.strip()}")
        return out.stdout, f"built with kubectl kustomize {folder}"
    base = folder.parent.parent / "base"
    files = sorted(p for p in base.glob("*.yaml") if p.name != "kustomization.yaml")
    text = "---\n".join(p.read_text(encoding="utf-8") for p in files)
    return text, f"kubectl not found: printing {base} without the {folder.name} overlay applied"


def submit(
    pipeline: str,
    *,
    namespace: str,
    server: ArgoServer,
    parameters: Mapping[str, str] | None = None,
) -> str:
    """Create a Workflow from the pipeline's WorkflowTemplate; return its generated name.

    The template itself must already be in the cluster (`kubectl apply -k overlays/ENV` or a
    GitOps sync): the Workflow only refers to it, so what runs is what the overlay applied.
    """
    import requests
    from hera.exceptions import HeraException
    from hera.workflows import Parameter, Workflow, WorkflowsService
    from hera.workflows.models import Workflow as WorkflowModel
    from hera.workflows.models import WorkflowCreateRequest, WorkflowTemplateRef

    names = Names.of(pipeline)
    workflow = Workflow(
        generate_name=f"{names.workflow_template}-",
        namespace=namespace,
        workflow_template_ref=WorkflowTemplateRef(name=names.workflow_template),
        arguments=[Parameter(name=k, value=v) for k, v in sorted((parameters or {}).items())],
        labels={"workbench.io/pipeline": names.base},
    )
    service = WorkflowsService(
        host=server.url, token=server.token, verify_ssl=server.verify_ssl, namespace=namespace
    )
    model = workflow.build()
    assert isinstance(model, WorkflowModel)
    try:
        created = service.create_workflow(
            WorkflowCreateRequest(workflow=model), namespace=namespace
        )
    except HeraException as exc:
        raise WorkbenchError(f"Argo server {server.url} refused the workflow: {exc}") from exc
    except (requests.RequestException, KeyError, ValueError) as exc:
        raise WorkbenchError(f"Argo server {server.url}: {type(exc).__name__}: {exc}") from exc
    return str(created.metadata.name or "")
