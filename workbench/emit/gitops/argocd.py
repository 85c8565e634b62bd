"""Argo CD: an AppProject fencing what the project may deploy, and an app of apps whose sync
waves order the rest: infrastructure (Crossplane buckets) first, then Argo Events, then each
pipeline's staging overlays, then production.

The app of apps manages Argo CD's own objects (the Applications, ApplicationSets and the
AppProjects), so it cannot live in the project it manages: that project would have to allow
Applications and AppProjects in the Argo CD namespace, and any of its Applications could then
create an Application of any project or widen its own fence. So the root Application belongs to
a separate admin project, `PROJECT-admin`, whose only destination is the Argo CD namespace and
whose only kinds are those three; the workload project `PROJECT` allows the workload's kinds in
the workload's namespaces and nothing of Argo CD's.

No workload Application may create a Secret: one of type `kubernetes.io/service-account-token`
naming a ServiceAccount of its namespace would mint that account's token. The only Secrets the
platform holds are the CI accounts' token Secrets (ci_rbac), so the CI Application has a third
project, `PROJECT-ci`: the CI namespace only, and only the CI folder's kinds (Secret among them).

One Application per (pipeline, environment, component): each carries the exact names of its
pipeline's Argo memoization ConfigMaps in ignoreDifferences (Argo Workflows writes them at run
time; they are never in git).

Production is gated on the promotion. Before CI's first promotion a production overlay names
its images without digests, so it builds with the base's development tag; Argo CD must never
sync that. So each production Application is the template of an ApplicationSet whose only
generator is a git *files* generator over that overlay's `promoted.json`, the record
`workbench set-image` writes in the same commit as the digests once every image there is pinned
(core.promotion). No file on the GitOps branch: no parameter set, no Application, nothing
deployed. A sync wave or a manual-sync policy would only delay or hand over the same tagged
overlay; the generator makes the Application not exist. `preserveResourcesOnDeletion` keeps a
running production in place should the record ever disappear (an overlay that lists an image
without a digest loses it): Argo CD then stops managing production rather than deleting it.
"""

from __future__ import annotations

from typing import Any

from workbench.core.promotion import GATED_ENVIRONMENTS, PROMOTED_FILE
from workbench.emit.gitops import events
from workbench.emit.gitops.project import PipelineRef, PlatformSpec
from workbench.emit.gitops.types import Obj

API = "argoproj.io/v1alpha1"
NAMESPACE = "argocd"
CLUSTER = "https://kubernetes.default.svc"
PLATFORM = "manifests/platform"
WAVE = "argocd.argoproj.io/sync-wave"
CROSSPLANE_NAMESPACE = "crossplane-system"
# the projects exist before any Application that names them (the root is -3, the rest later)
PROJECT_WAVE = -4
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
# what the CI folder holds (manifests/platform/ci), and all the CI project allows: the token
# Secrets (without data) of the CI accounts (ci_rbac.ci_rbac) are the platform's only Secrets
CI_KINDS = (
    ("", "ConfigMap"),
    ("", "Secret"),
    ("", "ServiceAccount"),
    ("argoproj.io", "WorkflowTemplate"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
)
# what the app of apps manages, and all its admin project allows: Argo CD's own objects
ADMIN_KINDS = (
    ("argoproj.io", "AppProject"),
    ("argoproj.io", "Application"),
    ("argoproj.io", "ApplicationSet"),
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
    names = {events.NAMESPACE, spec.ci_namespace, CROSSPLANE_NAMESPACE}
    names |= {p.namespace(env) for p in spec.pipelines for env in spec.environments}
    return sorted(names)


def _project(
    spec: PlatformSpec,
    name: str,
    description: str,
    namespaces: list[str],
    cluster_kinds: tuple[tuple[str, str], ...],
    namespaced_kinds: tuple[tuple[str, str], ...],
) -> Obj:
    """An AppProject of this repository alone, in the projects' sync wave."""
    return Obj(
        apiVersion=API,
        kind="AppProject",
        metadata={"name": name, "namespace": NAMESPACE, "annotations": {WAVE: str(PROJECT_WAVE)}},
        spec={
            "description": f"{spec.project}: {description}",
            "sourceRepos": [spec.repo_url],
            "destinations": [{"server": CLUSTER, "namespace": n} for n in namespaces],
            "clusterResourceWhitelist": _kinds(cluster_kinds),
            "namespaceResourceWhitelist": _kinds(namespaced_kinds),
        },
    )


def app_project(spec: PlatformSpec) -> Obj:
    return _project(
        spec,
        spec.project,
        "pipelines, serving, CI events and buckets",
        _destinations(spec),
        CLUSTER_KINDS,
        NAMESPACED_KINDS,
    )


def admin_project_name(spec: PlatformSpec) -> str:
    return f"{spec.project}-admin"


def admin_project(spec: PlatformSpec) -> Obj:
    """The app of apps' project (see the module doc): Argo CD's own kinds, in its namespace."""
    return _project(
        spec,
        admin_project_name(spec),
        "the app of apps (Argo CD's own objects only)",
        [NAMESPACE],
        (),
        ADMIN_KINDS,
    )


def ci_project_name(spec: PlatformSpec) -> str:
    return f"{spec.project}-ci"


def ci_project(spec: PlatformSpec) -> Obj:
    """The CI Application's project (see the module doc): its folder's kinds, in its namespace
    (and that Namespace, which its CreateNamespace sync option creates: Argo CD checks it against
    the cluster-scoped whitelist)."""
    return _project(
        spec,
        ci_project_name(spec),
        "the CI WorkflowTemplate, its scripts and accounts",
        [spec.ci_namespace],
        (("", "Namespace"),),
        CI_KINDS,
    )


def projects(spec: PlatformSpec) -> list[Obj]:
    """The admin and workload projects, and the CI one when the project has CI scripts."""
    return [
        admin_project(spec),
        app_project(spec),
        *([ci_project(spec)] if spec.ci_scripts else []),
    ]


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
    project: str = "",
) -> Obj:
    body: dict[str, Any] = {
        "project": project or spec.project,
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


def promoted_application_set(spec: PlatformSpec, app: Obj) -> Obj:
    """APP generated only while its overlay's promotion record exists on the GitOps branch (see
    the module doc); the record's content (the digests) is not needed by the template."""
    source = app["spec"]["source"]
    metadata = dict(app["metadata"])
    # preserveResourcesOnDeletion: the ApplicationSet controller adds no resources finalizer
    metadata.pop("finalizers", None)
    return Obj(
        apiVersion=API,
        kind="ApplicationSet",
        metadata={
            "name": app["metadata"]["name"],
            "namespace": NAMESPACE,
            "annotations": dict(app["metadata"].get("annotations", {})),
        },
        spec={
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [
                {
                    "git": {
                        "repoURL": source["repoURL"],
                        "revision": source["targetRevision"],
                        "files": [{"path": f"{source['path']}/{PROMOTED_FILE}"}],
                    }
                }
            ],
            "syncPolicy": {"preserveResourcesOnDeletion": True},
            "template": {"metadata": metadata, "spec": app["spec"]},
        },
    )


def pipeline_applications(spec: PlatformSpec) -> list[Obj]:
    """Staging before production (waves 1 and 2): a broken overlay stops at staging; production
    Applications exist only once promoted (promoted_application_set)."""
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
    return [
        promoted_application_set(spec, app) if _environment(app) in GATED_ENVIRONMENTS else app
        for app in apps
    ]


def _environment(app: Obj) -> str:
    """The ENV of an Application whose source is manifests/NAME/overlays/ENV[/serving]."""
    parts = app["spec"]["source"]["path"].split("/")
    return parts[3] if len(parts) > 3 and parts[2] == "overlays" else ""


def _ci_image_record(spec: PlatformSpec) -> list[dict[str, Any]]:
    """CI writes the image its next run starts in into this ConfigMap's /data (never in git)."""
    return [
        {
            "group": "",
            "kind": "ConfigMap",
            "name": spec.ci_image_config_map,
            "namespace": spec.ci_namespace,
            "jsonPointers": ["/data"],
        }
    ]


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
            [
                application(
                    spec,
                    f"{spec.project}-ci",
                    f"{PLATFORM}/ci",
                    spec.ci_namespace,
                    -1,
                    _ci_image_record(spec),
                    project=ci_project_name(spec),
                )
            ]
            if spec.ci_scripts
            else []
        ),
    ]


def root_application(spec: PlatformSpec) -> Obj:
    """The app of apps: apply it once (`kubectl apply -k manifests/platform/argocd`), and Argo
    CD syncs the rest from git, in wave order."""
    return application(
        spec,
        f"{spec.project}-platform",
        f"{PLATFORM}/argocd",
        NAMESPACE,
        -3,
        project=admin_project_name(spec),
    )
