"""kustomize base and overlays for a pipeline's manifests (plain dicts; kustomize files are not
Argo objects).

kustomize's `images:` rewrites only `containers[]`/`initContainers[]` of the kinds it knows, so
the base ships a transformer configuration (`configurations:`) with the image fields of Argo's
kinds; overlays inherit it, and `workbench set-image overlays/ENV NAME=…:TAG` (or
`kustomize edit set image`) then retags every template. Overlays also set the scheduled run's
data location (cron.py). They are written once, then edited in place (workbench.emit.write).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from workbench.emit.argo.cachekey import data_parameters
from workbench.emit.argo.cron import DATA_PREFIX, data_uri
from workbench.emit.argo.deploy import deploy_images
from workbench.emit.argo.k8s import artifact_repository, config_map
from workbench.emit.argo.options import ArgoOptions, Names, Resources, image_name
from workbench.emit.argo.pods import S3_ENDPOINT_KEY
from workbench.emit.argo.render import dump_dict
from workbench.spec.model import PipelineSpec

KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"
IMAGES_CONFIG = "kustomizeconfig/argo-images.yaml"

BASE_RESOURCES = (
    "serviceaccount.yaml",
    "rbac.yaml",
    "configmap.yaml",
    "pvc.yaml",
    "workflowtemplate.yaml",
    "notebook-workflowtemplate.yaml",
    "tune-workflowtemplate.yaml",
    "cronworkflow.yaml",
)

# Argo's image fields, per kind: container, script, init containers, sidecars, container sets.
_TEMPLATE_IMAGE_FIELDS = (
    "container/image",
    "script/image",
    "initContainers/image",
    "sidecars/image",
    "containerSet/containers/image",
)
_TEMPLATES_AT = {
    "Workflow": "spec/templates",
    "WorkflowTemplate": "spec/templates",
    "ClusterWorkflowTemplate": "spec/templates",
    "CronWorkflow": "spec/workflowSpec/templates",
}


@dataclass(frozen=True)
class Overlay:
    """What differs per environment."""

    name: str
    namespace: str
    image_tag: str
    schedules: tuple[str, ...]
    resources: Resources
    data_prefix: str = DATA_PREFIX  # where the scheduled runs read data files (cron.data_uri)
    # the artifact repository (and the steps' S3 endpoint) over TLS, whatever the base says
    artifact_tls: bool = False


def default_overlays(pipeline: str) -> tuple[Overlay, ...]:
    base = Names.of(pipeline).base
    return (
        Overlay(
            name="staging",
            namespace=f"{base}-staging",
            image_tag="staging",
            schedules=("0 */6 * * *",),
            resources=Resources("100m", "256Mi", "500m", "1Gi"),
        ),
        Overlay(
            name="production",
            namespace=f"{base}-production",
            # no tag: production names its images by digest only, and there is none before CI's
            # first promotion (`set-image` refuses a tag there); until then the entries only
            # name the images the promotion pins
            image_tag="",
            schedules=("0 3 * * *",),
            resources=Resources("500m", "1Gi", "2", "4Gi"),
            artifact_tls=True,
        ),
    )


def image_entry(name: str, tag: str) -> dict[str, str]:
    """A seeded `images:` entry: retagged to the environment's tag, or (production, tag "")
    only named, for the first promotion to pin by digest."""
    return {"name": name, "newTag": tag} if tag else {"name": name}


def images_configuration() -> dict[str, Any]:
    specs = [
        {"kind": kind, "path": f"{templates}/{field}"}
        for kind, templates in sorted(_TEMPLATES_AT.items())
        for field in _TEMPLATE_IMAGE_FIELDS
    ]
    return {"images": specs}


def base_kustomization() -> dict[str, Any]:
    return {
        "apiVersion": KUSTOMIZE_API,
        "kind": "Kustomization",
        "resources": list(BASE_RESOURCES),
        "configurations": [IMAGES_CONFIG],
    }


def _resources_value(r: Resources) -> dict[str, Any]:
    return {
        "requests": {"cpu": r.cpu_request, "memory": r.memory_request},
        "limits": {"cpu": r.cpu_limit, "memory": r.memory_limit},
    }


def _json_patch(
    kind: str, name: str, ops: list[dict[str, Any]], group: str = "argoproj.io"
) -> dict[str, Any]:
    target = {"group": group, "kind": kind, "name": name} if group else {"kind": kind, "name": name}
    return {"target": target, "patch": dump_dict(ops)}


def _tls_patches(names: Names, options: ArgoOptions) -> list[dict[str, Any]]:
    """The artifact repository with `insecure: false` and the steps' endpoint as https://: the
    base's in-cluster default may go without TLS, an environment that sets this may not."""
    tls = replace(options, artifact_insecure=False)
    ops = {
        names.artifact_repository: artifact_repository(names, tls)["data"],
        names.config_map: {S3_ENDPOINT_KEY: config_map(names, tls)["data"][S3_ENDPOINT_KEY]},
    }
    return [
        _json_patch(
            "ConfigMap",
            name,
            [
                {"op": "replace", "path": f"/data/{key}", "value": value}
                for key, value in data.items()
            ],
            group="",
        )
        for name, data in ops.items()
    ]


def overlay_kustomization(
    spec: PipelineSpec, options: ArgoOptions, overlay: Overlay
) -> dict[str, Any]:
    names = Names.of(spec.name)
    value = _resources_value(overlay.resources)
    # template 0 of each WorkflowTemplate is its DAG; the container templates follow
    step_ops = [
        {"op": "replace", "path": f"/spec/templates/{i}/container/resources", "value": value}
        for i in range(1, len(spec.steps) + 1)
    ]
    papermill_op = [
        {"op": "replace", "path": "/spec/templates/1/container/resources", "value": value}
    ]
    best_run_op = [
        {"op": "replace", "path": "/spec/templates/2/container/resources", "value": value}
    ]
    cron_op: list[dict[str, Any]] = [
        {"op": "replace", "path": "/spec/schedules", "value": list(overlay.schedules)}
    ]
    data = [
        {"name": p.name, "value": data_uri(str(p.default), overlay.data_prefix)}
        for p in data_parameters(spec)
    ]
    if data:  # the whole list: a patch by index would silently hit another parameter
        cron_op.append(
            {"op": "replace", "path": "/spec/workflowSpec/arguments/parameters", "value": data}
        )
    return {
        "apiVersion": KUSTOMIZE_API,
        "kind": "Kustomization",
        "namespace": overlay.namespace,
        "resources": ["../../base"],
        "images": [
            image_entry(name, overlay.image_tag)
            for name in (image_name(spec.name, options), *deploy_images(spec, options))
        ],
        "patches": [
            _json_patch("CronWorkflow", names.cron_workflow, cron_op),
            _json_patch("WorkflowTemplate", names.workflow_template, step_ops),
            _json_patch("WorkflowTemplate", names.notebook_template, papermill_op),
            _json_patch("WorkflowTemplate", names.sweep_template, papermill_op + best_run_op),
            # the tuning workers and the promotion pod: templates 1 and 2 after the DAG
            _json_patch("WorkflowTemplate", names.tune_template, papermill_op + best_run_op),
            *(_tls_patches(names, options) if overlay.artifact_tls else []),
        ],
    }
