"""kustomize base and overlays of the serving manifests (plain dicts: kustomize files are not
Kubernetes objects).

    base/serving/seldon/   SeldonDeployment + Istio Gateway and VirtualService
    base/serving/kserve/   InferenceService
    base/serving/plain/    Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget
                           each with the server's ServiceAccount and the `<model>-serving`
                           ConfigMap generator (plus, for the operator kinds, the nameReference
                           configuration that lets kustomize rename that ConfigMap inside their
                           pod specs)
    overlays/ENV/serving/  one variant, namespace, image tag, the served model versions, the
                           Seldon path's namespace, and the `<pipeline>-gitops` ConfigMap

Every base folder builds on its own; each overlay enables one variant. Overlays are seeded once
and then belong to GitOps (workbench.emit.write): `workbench deploy` edits the `champion`
literal of an overlay's ConfigMap generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.emit.argo.deploy import GITOPS_ENV
from workbench.emit.argo.render import dump_dict
from workbench.emit.serving.options import (
    PREDICTORS,
    S3_ENDPOINT_KEY,
    TRACKING_URI_KEY,
    VARIANTS,
    ServingNames,
    ServingOptions,
    model_uri,
)

KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"
NAMES_CONFIG = "kustomizeconfig/serving-names.yaml"
VARIANT_FILES = {
    "seldon": ("seldondeployment.yaml", "istio.yaml"),
    "kserve": ("inferenceservice.yaml",),
    "plain": ("deployment.yaml",),
}
OPERATOR_VARIANTS = ("seldon", "kserve")  # kinds kustomize does not know: need NAMES_CONFIG
# where pod specs sit in the operator kinds, for kustomize's ConfigMap name references
_POD_SPECS = {
    "SeldonDeployment": "spec/predictors/componentSpecs/spec",
    "InferenceService": "spec/predictor",
}


@dataclass(frozen=True)
class ServingOverlay:
    name: str
    namespace: str
    image_tag: str
    pipeline_dir: str  # manifests/<pipeline>, for the overlay's own path in the GitOps repo


def names_configuration() -> dict[str, Any]:
    specs = [
        {"kind": kind, "path": f"{path}/{field}/valueFrom/configMapKeyRef/name"}
        for kind, path in sorted(_POD_SPECS.items())
        for field in ("containers/env", "initContainers/env")
    ]
    specs += [
        {"kind": kind, "path": f"{path}/{field}/envFrom/configMapRef/name"}
        for kind, path in sorted(_POD_SPECS.items())
        for field in ("containers",)
    ]
    return {"nameReference": [{"kind": "ConfigMap", "version": "v1", "fieldSpecs": specs}]}


def variant_kustomization(
    names: ServingNames, options: ServingOptions, variant: str
) -> dict[str, Any]:
    """A variant's base. The ConfigMap generator sits beside the objects that reference it:
    kustomize renames a generated ConfigMap only in references within the same build level."""
    literals = [f"{p}={model_uri(names.model, alias=p)}" for p in PREDICTORS]
    literals += [
        f"{TRACKING_URI_KEY}={options.tracking_uri}",
        f"{S3_ENDPOINT_KEY}={options.s3_endpoint}",
    ]
    out: dict[str, Any] = {
        "apiVersion": KUSTOMIZE_API,
        "kind": "Kustomization",
        # the generated ConfigMap must share the objects' namespace, or kustomize leaves their
        # references to it unrenamed
        "namespace": options.namespace,
        "resources": ["serviceaccount.yaml", *VARIANT_FILES[variant]],
    }
    if variant in OPERATOR_VARIANTS:
        out["configurations"] = [NAMES_CONFIG]
    out["configMapGenerator"] = [{"name": names.config_map, "literals": literals}]
    return out


def _patch(group: str, kind: str, name: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
    return {"target": {"group": group, "kind": kind, "name": name}, "patch": dump_dict(ops)}


def overlay_kustomization(
    names: ServingNames, options: ServingOptions, overlay: ServingOverlay, image: str
) -> dict[str, Any]:
    if options.enabled not in VARIANTS:
        raise ValueError(f"serving variant {options.enabled!r}: expected one of {VARIANTS}")
    prefix = names.seldon_prefix(overlay.namespace)
    path = f"{overlay.pipeline_dir}/overlays/{overlay.name}/serving"
    gitops = {"repo": options.gitops_repo, "branch": options.gitops_branch, "path": path}
    return {
        "apiVersion": KUSTOMIZE_API,
        "kind": "Kustomization",
        "namespace": overlay.namespace,
        "resources": [f"../../../base/serving/{options.enabled}"],
        # production: only named, pinned by digest at CI's first promotion (no tag ever)
        "images": [
            {"name": image, "newTag": overlay.image_tag} if overlay.image_tag else {"name": image}
        ],
        "configMapGenerator": [
            {
                "name": names.config_map,
                "behavior": "merge",
                "literals": [f"{PREDICTORS[0]}={model_uri(names.model, alias=PREDICTORS[0])}"],
            },
            {
                "name": names.gitops_config_map,
                "options": {"disableNameSuffixHash": True},
                "literals": [f"{key}={gitops[key]}" for _, key in GITOPS_ENV],
            },
        ],
        "patches": [
            _patch(
                "networking.istio.io",
                "VirtualService",
                names.base,
                [{"op": "replace", "path": "/spec/http/0/match/0/uri/prefix", "value": prefix}],
            )
        ],
    }
