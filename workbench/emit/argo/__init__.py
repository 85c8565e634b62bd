"""Argo Workflows manifests for a pipeline spec, built with hera; kustomize base and overlays.

    emit_argo(spec, ctx) -> {"manifests/<name>/base/workflowtemplate.yaml": text, ...}

hera is imported only inside this package (and emit.gitops); every function is pure
(spec -> objects -> text) except those of `api`, which submit and read workflows on an Argo
Server with hera's client for `workbench.deploy.argo_client`.
"""

from workbench.emit.argo.emit import emit_argo, render_manifests
from workbench.emit.argo.options import ArgoOptions

__all__ = ["ArgoOptions", "emit_argo", "render_manifests"]
