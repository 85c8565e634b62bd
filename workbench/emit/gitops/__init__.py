"""The project's delivery platform under manifests/platform/ (`workbench gitops init`).

Argo Events (webhook -> CI), Argo CD (git -> clusters) and Crossplane (the S3 buckets), built
as typed objects (hera for the Argo Workflows object the Sensor submits) and dumped by
workbench.emit.argo.render. Emitters are registered in workbench.emit.PLATFORM_EMITTERS.
"""

from workbench.emit.gitops.project import PipelineRef, PlatformSpec

__all__ = ["PipelineRef", "PlatformSpec"]
