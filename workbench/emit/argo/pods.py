"""What every pod of a pipeline shares: security context, environment, volumes, resources.

Step containers and the papermill containers use the same pieces, so a hardening change lands
in every template at once. All values are references (ConfigMap and Secret keys): no secret
value ever appears in a manifest.
"""

from __future__ import annotations

from hera.workflows import ConfigMapEnv, Env, SecretEnv
from hera.workflows import Resources as HeraResources
from hera.workflows.models import (
    Capabilities,
    EmptyDirVolumeSource,
    PersistentVolumeClaimVolumeSource,
    PodSecurityContext,
    Quantity,
    SeccompProfile,
    SecurityContext,
    Volume,
    VolumeMount,
)

from workbench.emit.argo.options import (
    APP_DIR,
    MODEL_STORE_MOUNT,
    MODEL_STORE_VOLUME,
    SCRATCH,
    SCRATCH_VOLUME,
    ArgoOptions,
    Names,
)

# keys of the pipeline ConfigMap (see k8s.config_map)
TRACKING_URI_KEY = "mlflow-tracking-uri"
S3_ENDPOINT_KEY = "s3-endpoint-url"


def pod_security_context(options: ArgoOptions) -> PodSecurityContext:
    """Pod level: non-root with a numeric uid, group-owned volumes, the runtime's seccomp profile."""
    uid = options.run_as_user
    return PodSecurityContext(
        run_as_non_root=True,
        run_as_user=uid,
        run_as_group=uid,
        fs_group=uid,
        seccomp_profile=SeccompProfile(type="RuntimeDefault"),
    )


def container_security_context(options: ArgoOptions) -> SecurityContext:
    """Container level: read-only root, no capabilities, no privilege escalation."""
    return SecurityContext(
        run_as_non_root=True,
        run_as_user=options.run_as_user,
        read_only_root_filesystem=True,
        allow_privilege_escalation=False,
        privileged=False,
        capabilities=Capabilities(drop=["ALL"]),
        seccomp_profile=SeccompProfile(type="RuntimeDefault"),
    )


def volumes(options: ArgoOptions) -> list[Volume]:
    """Workflow-level volumes: scratch for the read-only root, the shared model store claim."""
    return [
        Volume(
            name=SCRATCH_VOLUME,
            empty_dir=EmptyDirVolumeSource(size_limit=Quantity(options.scratch_size)),
        ),
        Volume(
            name=MODEL_STORE_VOLUME,
            persistent_volume_claim=PersistentVolumeClaimVolumeSource(
                claim_name=options.model_store_claim
            ),
        ),
    ]


def volume_mounts() -> list[VolumeMount]:
    return [
        VolumeMount(name=SCRATCH_VOLUME, mount_path=SCRATCH),
        VolumeMount(name=MODEL_STORE_VOLUME, mount_path=MODEL_STORE_MOUNT),
    ]


def environment(names: Names, options: ArgoOptions) -> list[Env | ConfigMapEnv | SecretEnv]:
    """Tracking URI and endpoints from the ConfigMap, credentials from Secrets (optional keys,
    so a cluster without MLflow auth still starts the pods)."""
    config = names.config_map
    return [
        Env(name="HOME", value=SCRATCH),  # pip, jupyter and matplotlib write under $HOME
        Env(name="PYTHONDONTWRITEBYTECODE", value="1"),
        # explicit, not found by walking up to a pyproject.toml (the image has none)
        Env(name="WORKBENCH_PROJECT", value=APP_DIR),
        Env(name="WORKBENCH_MODEL_STORE", value=MODEL_STORE_MOUNT),
        ConfigMapEnv(
            name="MLFLOW_TRACKING_URI", config_map_name=config, config_map_key=TRACKING_URI_KEY
        ),
        ConfigMapEnv(
            name="MLFLOW_S3_ENDPOINT_URL", config_map_name=config, config_map_key=S3_ENDPOINT_KEY
        ),
        ConfigMapEnv(
            name="AWS_ENDPOINT_URL", config_map_name=config, config_map_key=S3_ENDPOINT_KEY
        ),
        SecretEnv(
            name="AWS_ACCESS_KEY_ID",
            secret_name=options.s3_secret,
            secret_key="access-key-id",
            optional=True,
        ),
        SecretEnv(
            name="AWS_SECRET_ACCESS_KEY",
            secret_name=options.s3_secret,
            secret_key="secret-access-key",
            optional=True,
        ),
        SecretEnv(
            name="MLFLOW_TRACKING_USERNAME",
            secret_name=options.mlflow_secret,
            secret_key="username",
            optional=True,
        ),
        SecretEnv(
            name="MLFLOW_TRACKING_PASSWORD",
            secret_name=options.mlflow_secret,
            secret_key="password",
            optional=True,
        ),
    ]


def resources(options: ArgoOptions) -> HeraResources:
    r = options.resources
    return HeraResources(
        cpu_request=r.cpu_request,
        memory_request=r.memory_request,
        cpu_limit=r.cpu_limit,
        memory_limit=r.memory_limit,
    )
