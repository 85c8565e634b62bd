"""Argo CD: an AppProject fencing what the project may deploy, and an app of apps whose sync
waves order the rest: infrastructure (Crossplane buckets) first, then Argo Events, then each
pipeline's staging overlays, then production.

One Application per (pipeline, environment, component) rather than an ApplicationSet: each
carries the exact names of its pipeline's Argo memoization ConfigMaps in ignoreDifferences
(Argo Workflows writes them at run time; they are never in git).
"""

from __future__ import annotations

from typing import Any

from workbench.emit.gitops import events
from workbench.emit.gitops.project import PipelineRef, PlatformSpec
from workbench.emit.gitops.types import Obj

API = "argoproj.io/v1alpha1"
NAMESPACE = "argocd"
CLUSTER = "https://kubernetes.default.svc"
PLATFORM = "manifests/platform"
WAVE = "argocd.argoproj.io/sync-wave"
CROSSPLANE_NAMESPACE = "crossplane-system"
# kinds the generated manifests contain: anything else is refused by the project
NAMESPACED_KINDS = (
    ("", "ConfigMap"),
    ("", "PersistentVolumeClaim"),
    ("", "Service"),
    ("", "ServiceAccount"),
    ("apps", "Deployment"),
    ("argoproj.io", "CronWorkflow"),
    ("argoproj.io", "EventBus"),
    ("argoproj.io", "EventSource"),
    ("argoproj.io", "Sensor"),
    ("argoproj.io", "WorkflowTemplate"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("machinelearning.seldon.io", "SeldonDeployment"),
    ("networking.istio.io", "Gateway"),
    ("networking.istio.io", "VirtualService"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("policy", "PodDisruptionBudget"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("serving.kserve.io", "InferenceService"),
)
CLUSTER_KINDS = (
    ("", "Namespace"),
    ("aws.upbound.io", "ProviderConfig"),
    ("s3.aws.upbound.io", "Bucket"),
    ("s3.aws.upbound.io", "BucketPublicAccessBlock"),
    ("s3.aws.upbound.io", "BucketServerSideEncryptionConfiguration"),
    ("s3.aws.upbound.io", "BucketVersioning"),
)


def _kinds(pairs: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"group": group, "kind": kind} for group, kind in pairs]


def _destinations(spec: PlatformSpec) -> list[str]:
    names = {events.NAMESPACE, spec.ci_namespace, CROSSPLANE_NAMESPACE, NAMESPACE}
    names |= {p.namespace(env) for p in spec.pipelines for env in spec.environments}
    return sorted(names)


def app_project(spec: PlatformSpec) -> Obj:
    return Obj(
        apiVersion=API,
        kind="AppProject",
        metadata={"name": spec.project, "namespace": NAMESPACE},
        spec={
            "description": f"{spec.project}: pipelines, serving, CI events and buckets",
            "sourceRepos": [spec.repo_url],
            "destinations": [{"server": CLUSTER, "namespace": n} for n in _destinations(spec)],
            "clusterResourceWhitelist": _kinds(CLUSTER_KINDS),
            "namespaceResourceWhitelist": _kinds(NAMESPACED_KINDS),
        },
    )


def _sync_policy(*options: str) -> dict[str, Any]:
    return {
        "automated": {"prune": True, "selfHeal": True},
        "syncOptions": ["CreateNamespace=true", "PrunePropagationPolicy=foreground", *options],
        "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
    }


def application(
    spec: PlatformSpec,
    name: str,
    path: str,
    namespace: str,
    wave: int,
    ignore: list[dict[str, Any]] | None = None,
    options: tuple[str, ...] = (),
) -> Obj:
    body: dict[str, Any] = {
        "project": spec.project,
        "source": {
            "repoURL": spec.repo_url,
            "targetRevision": spec.gitops_branch,
            "path": path,
            "kustomize": {},
        },
        "destination": {"server": CLUSTER, "namespace": namespace},
        "syncPolicy": _sync_policy(*options),
    }
    if ignore:
        body["ignoreDifferences"] = ignore
        body["syncPolicy"]["syncOptions"].append("RespectIgnoreDifferences=true")
    return Obj(
        apiVersion=API,
        kind="Application",
        metadata={
            "name": name,
            "namespace": NAMESPACE,
            "annotations": {WAVE: str(wave)},
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        spec=body,
    )


def _memoization(pipeline: PipelineRef, namespace: str) -> list[dict[str, Any]]:
    """Argo writes the cache entries into these ConfigMaps at run time."""
    return [
        {
            "group": "",
            "kind": "ConfigMap",
            "name": name,
            "namespace": namespace,
            "jsonPointers": ["/data"],
        }
        for name in pipeline.cache_config_maps
    ]


def pipeline_applications(spec: PlatformSpec) -> list[Obj]:
    """Staging before production (waves 1 and 2): a broken overlay stops at staging."""
    apps = []
    for index, env in enumerate(spec.environments):
        for pipeline in spec.pipelines:
            namespace = pipeline.namespace(env)
            root = f"manifests/{pipeline.name}/overlays/{env}"
            apps.append(
                application(
                    spec,
                    f"{pipeline.base}-{env}",
                    root,
                    namespace,
                    1 + index,
                    _memoization(pipeline, namespace),
                )
            )
            if pipeline.has_serving:
                apps.append(
                    application(
                        spec,
                        f"{pipeline.base}-serving-{env}",
                        f"{root}/serving",
                        namespace,
                        1 + index,
                    )
                )
    return apps


def platform_applications(spec: PlatformSpec) -> list[Obj]:
    """Buckets first (wave -2), then the CI event plumbing (wave -1)."""
    return [
        application(
            spec,
            f"{spec.project}-infrastructure",
            f"{PLATFORM}/infrastructure",
            CROSSPLANE_NAMESPACE,
            -2,
            options=("SkipDryRunOnMissingResource=true",),
        ),
        application(spec, f"{spec.project}-events", f"{PLATFORM}/events", events.NAMESPACE, -1),
        *(
            [application(spec, f"{spec.project}-ci", f"{PLATFORM}/ci", spec.ci_namespace, -1)]
            if spec.ci_scripts
            else []
        ),
    ]


def root_application(spec: PlatformSpec) -> Obj:
    """The app of apps: apply it once (`kubectl apply -k manifests/platform/argocd`), and Argo
    CD syncs the rest from git, in wave order."""
    return application(spec, f"{spec.project}-platform", f"{PLATFORM}/argocd", NAMESPACE, -3)
