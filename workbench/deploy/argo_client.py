"""The Argo Server API: submit a WorkflowTemplate, read a workflow back, read a pod's log;
and what an overlay builds (`kubectl kustomize`).

The server is configured like the argo CLI: ARGO_SERVER (host:port or URL), ARGO_TOKEN,
ARGO_SECURE=false for plain http, ARGO_INSECURE_SKIP_VERIFY=true for self-signed certificates.
Submitting and reading a workflow need hera (its Workflow objects and WorkflowsService), so they
are done by `workbench.emit.argo.api`, the one place outside the emitters' rendering that may
import it. Logs are read directly: the log endpoint streams one
`{"result": {"content", "podName"}}` object per line (grpc-gateway), which hera's
`workflow_logs` would parse as one JSON document.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from workbench.core.errors import WorkbenchError
from workbench.emit.argo import api
from workbench.emit.argo.options import ArgoOptions, Names


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
    template: str | None = None,
) -> str:
    """Create a Workflow from the pipeline's WorkflowTemplate; return its generated name.

    The template itself must already be in the cluster (`kubectl apply -k overlays/ENV` or a
    GitOps sync): the Workflow only refers to it, so what runs is what the overlay applied.
    """
    names = Names.of(pipeline)
    return api.create_workflow(
        host=server.url,
        token=server.token,
        verify_ssl=server.verify_ssl,
        namespace=namespace,
        template=template or names.workflow_template,
        parameters=parameters or {},
        labels={"workbench.io/pipeline": names.base},
    )


def get_workflow(name: str, *, namespace: str, server: ArgoServer) -> dict[str, Any]:
    """The workflow as the API returns it (JSON), `status.nodes` included."""
    return api.read_workflow(
        name, host=server.url, token=server.token, verify_ssl=server.verify_ssl, namespace=namespace
    )


def pod_log(
    workflow: str, pod: str, *, namespace: str, server: ArgoServer, tail: int | None = None
) -> str:
    """The `main` container's log of one pod of `workflow`."""
    import requests

    params: dict[str, str] = {"podName": pod, "logOptions.container": "main"}
    if tail is not None:
        params["logOptions.tailLines"] = str(tail)
    url = f"{server.url}api/v1/workflows/{namespace}/{workflow}/log"
    token = server.token if server.token.startswith("Bearer ") else f"Bearer {server.token}"
    try:
        resp = requests.get(
            url, params=params, headers={"Authorization": token}, verify=server.verify_ssl,
            timeout=60,
        )  # fmt: skip
    except requests.RequestException as exc:
        raise WorkbenchError(f"Argo server {server.url}: {type(exc).__name__}: {exc}") from exc
    if not resp.ok:
        raise WorkbenchError(
            f"Argo server {server.url}: log of {pod}: {resp.status_code} {resp.text[:300]}"
        )
    lines = []
    for raw in resp.text.splitlines():
        if not raw.strip():
            continue
        entry = json.loads(raw)
        if "error" in entry:
            raise WorkbenchError(f"log of {pod}: {entry['error'].get('message', entry['error'])}")
        lines.append(str(entry.get("result", {}).get("content", "")))
    return "\n".join(lines)
