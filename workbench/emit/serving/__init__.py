"""Serving manifests for a pipeline's model (SeldonDeployment, KServe InferenceService, plain
Deployment; Istio routes; kustomize base and overlays) and the serving image recipe.

    emit_serving(spec, ctx) -> {"manifests/<name>/base/serving/...": text, ...,
                                "steps/<name>/serving.Dockerfile": text, ...}

Objects are TypedDicts (types.py) dumped by the Argo emitter's YAML writer; every function is
pure (spec -> objects -> text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.core.lazy import lazy_attribute

if TYPE_CHECKING:
    from workbench.emit.serving.emit import emit_serving, render_serving
    from workbench.emit.serving.options import ServingNames, ServingOptions

# name -> "module:attribute", loaded on first use (PEP 562): importing one submodule, e.g. the
# light options, must not import hera through this package
_EXPORTS = {
    "ServingNames": "workbench.emit.serving.options:ServingNames",
    "ServingOptions": "workbench.emit.serving.options:ServingOptions",
    "emit_serving": "workbench.emit.serving.emit:emit_serving",
    "render_serving": "workbench.emit.serving.emit:render_serving",
}

__all__ = ["ServingNames", "ServingOptions", "emit_serving", "render_serving"]


def __getattr__(name: str) -> Any:
    return lazy_attribute(__name__, _EXPORTS, name)
