"""Entry points: a pipeline spec -> every file under manifests/<name>/ as {relative path: text}."""

from __future__ import annotations

from typing import Any

from workbench.emit.argo import k8s, kustomize
from workbench.emit.argo.cron import cron_workflow
from workbench.emit.argo.notebook import notebook_template, sweep_template
from workbench.emit.argo.options import ArgoOptions, Names
from workbench.emit.argo.pipeline import workflow_template
from workbench.emit.argo.render import document_file, header, overlay_header
from workbench.emit.argo.tune import tune_template
from workbench.spec.model import PipelineSpec


def render_manifests(
    spec: PipelineSpec,
    options: ArgoOptions,
    overlays: tuple[kustomize.Overlay, ...] | None = None,
) -> dict[str, str]:
    """Pure: the pipeline's manifests, paths relative to `manifests/<name>/`."""
    names = Names.of(spec.name)
    source = options.header or header(f"{options.notebook} (pipeline {spec.name})")
    files = {
        "base/workflowtemplate.yaml": document_file(source, [workflow_template(spec, options)]),
        "base/cronworkflow.yaml": document_file(source, [cron_workflow(spec, options)]),
        "base/notebook-workflowtemplate.yaml": document_file(
            source, [notebook_template(spec, options), sweep_template(spec, options)]
        ),
        "base/tune-workflowtemplate.yaml": document_file(source, [tune_template(spec, options)]),
        "base/serviceaccount.yaml": document_file(source, [k8s.service_account(names, options)]),
        "base/rbac.yaml": document_file(
            source,
            [k8s.executor_role(names, options), k8s.executor_role_binding(names, options)],
        ),
        "base/configmap.yaml": document_file(
            source, [k8s.config_map(names, options), k8s.artifact_repository(names, options)]
        ),
        "base/pvc.yaml": document_file(source, [k8s.model_store_claim(names, options)]),
        f"base/{kustomize.IMAGES_CONFIG}": document_file(
            source, [kustomize.images_configuration()]
        ),
        "base/kustomization.yaml": document_file(source, [kustomize.base_kustomization()]),
    }
    seeded = overlay_header(options.notebook)
    for overlay in overlays if overlays is not None else kustomize.default_overlays(spec.name):
        files[f"overlays/{overlay.name}/kustomization.yaml"] = document_file(
            seeded, [kustomize.overlay_kustomization(spec, options, overlay)]
        )
    return dict(sorted(files.items()))


def emit_argo(spec: PipelineSpec, ctx: Any) -> dict[str, str]:
    """Emitter registry entry: files under `manifests/<name>/`, relative to the project root.

    `ctx` (workbench.emit.EmitContext) carries the project-relative notebook path and the header
    every generated file starts with; without them the spec's `notebook` field is used.
    """
    notebook = str(getattr(ctx, "notebook", "") or spec.notebook)
    make_header = getattr(ctx, "header", None)
    text = make_header() if callable(make_header) else ""
    files = render_manifests(spec, ArgoOptions(notebook=notebook, header=str(text)))
    return {f"manifests/{spec.name}/{path}": text for path, text in files.items()}
