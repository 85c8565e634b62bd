"""Serving manifests for a pipeline's model (SeldonDeployment, KServe InferenceService, plain
Deployment; Istio routes; kustomize base and overlays) and the serving image recipe.

    emit_serving(spec, ctx) -> {"manifests/<name>/base/serving/...": text, ...,
                                "steps/<name>/serving.Dockerfile": text, ...}

Objects are TypedDicts (types.py) dumped by the Argo emitter's YAML writer; every function is
pure (spec -> objects -> text).
"""

from workbench.emit.serving.emit import emit_serving, render_serving
from workbench.emit.serving.options import ServingNames, ServingOptions

__all__ = ["ServingNames", "ServingOptions", "emit_serving", "render_serving"]
