"""Argo Workflows manifests for a pipeline spec, built with hera; kustomize base and overlays.

    emit_argo(spec, ctx) -> {"manifests/<name>/base/workflowtemplate.yaml": text, ...}

hera is imported only inside this package; every function is pure (spec -> objects -> text).
"""

from workbench.emit.argo.emit import emit_argo, render_manifests
from workbench.emit.argo.options import ArgoOptions

__all__ = ["ArgoOptions", "emit_argo", "render_manifests"]
