"""Argo Workflows manifests for a pipeline spec, built with hera; kustomize base and overlays.

    emit_argo(spec, ctx) -> {"manifests/<name>/base/workflowtemplate.yaml": text, ...}

hera is imported only inside this package (and emit.gitops); every function is pure
(spec -> objects -> text) except those of `api`, which submit and read workflows on an Argo
Server with hera's client for `workbench.deploy.argo_client`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.core.lazy import lazy_attribute

if TYPE_CHECKING:
    from workbench.emit.argo.emit import emit_argo, render_manifests
    from workbench.emit.argo.options import ArgoOptions

# name -> "module:attribute", loaded on first use (PEP 562): importing one submodule, e.g. the
# light options, must not import hera through this package
_EXPORTS = {
    "ArgoOptions": "workbench.emit.argo.options:ArgoOptions",
    "emit_argo": "workbench.emit.argo.emit:emit_argo",
    "render_manifests": "workbench.emit.argo.emit:render_manifests",
}

__all__ = ["ArgoOptions", "emit_argo", "render_manifests"]


def __getattr__(name: str) -> Any:
    return lazy_attribute(__name__, _EXPORTS, name)
