"""Entry points: a pipeline spec -> the serving manifests under manifests/<name>/."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench.emit.argo.kustomize import default_overlays
from workbench.emit.argo.render import document_file, header, overlay_header
from workbench.emit.serving import istio, kustomize, variants
from workbench.emit.serving.options import (
    EXECUTOR_PORT,
    KSERVE_PORT,
    SELDON_PORT,
    ServingNames,
    ServingOptions,
    image_name,
)
from workbench.spec.model import PipelineSpec


def serving_overlays(spec: PipelineSpec) -> tuple[kustomize.ServingOverlay, ...]:
    """One per pipeline overlay, in the same namespace (the model store claim lives there)."""
    return tuple(
        kustomize.ServingOverlay(
            name=o.name,
            namespace=o.namespace,
            image_tag=o.image_tag,
            pipeline_dir=f"manifests/{spec.name}",
        )
        for o in default_overlays(spec.name)
    )


def render_serving(spec: PipelineSpec, options: ServingOptions) -> dict[str, str]:
    """Pure: the serving manifests, paths relative to `manifests/<name>/`."""
    names = ServingNames.of(spec, options)
    image = image_name(spec, options)
    ref = f"{image}:{options.image_tag}"
    source = options.header or header(f"{options.notebook} (pipeline {spec.name})")
    docs: dict[str, list[Mapping[str, Any]]] = {
        "seldon/seldondeployment.yaml": [
            variants.seldon_deployment(names, options, ref),
            variants.network_policy(names, options, (EXECUTOR_PORT, SELDON_PORT)),
        ],
        "seldon/istio.yaml": [istio.gateway(names, options), istio.virtual_service(names, options)],
        "kserve/inferenceservice.yaml": [
            variants.inference_service(names, options, ref),
            variants.network_policy(names, options, (KSERVE_PORT,)),
        ],
        "plain/deployment.yaml": [
            variants.deployment(names, options, ref),
            variants.service(names, options),
            variants.autoscaler(names, options),
            variants.disruption_budget(names, options),
            variants.network_policy(names, options, (SELDON_PORT,)),
        ],
    }
    for variant in kustomize.VARIANT_FILES:
        docs[f"{variant}/serviceaccount.yaml"] = [variants.service_account(names, options)]
        docs[f"{variant}/kustomization.yaml"] = [
            kustomize.variant_kustomization(names, options, variant)
        ]
        if variant in kustomize.OPERATOR_VARIANTS:
            docs[f"{variant}/{kustomize.NAMES_CONFIG}"] = [kustomize.names_configuration()]
    files = {
        f"base/serving/{p}": document_file(source, [dict(o) for o in d]) for p, d in docs.items()
    }
    seeded = overlay_header(options.notebook)
    for overlay in serving_overlays(spec):
        files[f"overlays/{overlay.name}/serving/kustomization.yaml"] = document_file(
            seeded, [kustomize.overlay_kustomization(names, options, overlay, image)]
        )
    return dict(sorted(files.items()))


def emit_serving(spec: PipelineSpec, ctx: Any) -> dict[str, str]:
    """Emitter registry entry: the serving manifests (the image recipe under steps/NAME/ is
    `serving.docker.emit_serving_image`, a registry entry of its own)."""
    notebook = str(getattr(ctx, "notebook", "") or spec.notebook)
    make_header = getattr(ctx, "header", None)
    text = str(make_header()) if callable(make_header) else ""
    files = render_serving(spec, ServingOptions(notebook=notebook, header=text))
    return {f"manifests/{spec.name}/{path}": body for path, body in files.items()}
