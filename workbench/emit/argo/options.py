"""Choices the Argo emitter makes that are not in the pipeline spec, and the names it derives.

Everything the manifests name (templates, ServiceAccount, ConfigMaps, Secrets, the volume claim,
cache ConfigMaps) is derived here once, so the WorkflowTemplate, the core objects and the
kustomize overlays cannot disagree about a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workbench.core.errors import WorkbenchError

# Where step artifacts live inside the container: /tmp is the only writable path (an emptyDir),
# because the root filesystem is read-only.
SCRATCH = "/tmp"
INPUTS_DIR = f"{SCRATCH}/inputs"
OUTPUTS_DIR = f"{SCRATCH}/outputs"
MODEL_STORE_MOUNT = "/mnt/model-store"
APP_DIR = "/app"  # the image's WORKDIR: the project root inside the container (read-only)
SCRATCH_VOLUME = "scratch"
MODEL_STORE_VOLUME = "model-store"

_DNS = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def dns_name(text: str) -> str:
    """A DNS-1123 label for a pipeline or step name: Argo rejects '_' in template and task names."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    if not name or not _DNS.match(name):
        raise WorkbenchError(f"{text!r}: cannot be turned into a Kubernetes/Argo name")
    return name


@dataclass(frozen=True)
class Resources:
    cpu_request: str = "250m"
    memory_request: str = "512Mi"
    cpu_limit: str = "1"
    memory_limit: str = "2Gi"


@dataclass(frozen=True)
class ArgoOptions:
    """Cluster-side choices; defaults suit the example and are overridden in the overlays."""

    notebook: str  # project-relative path of the source notebook (header comments, papermill)
    header: str = ""  # provenance comment lines; default names the notebook (render.header)
    image: str = ""  # untagged image name; default workbench/<pipeline>-steps
    image_tag: str = "dev"  # base tag; every overlay sets its own through kustomize `images:`
    namespace: str = "workbench"
    # numeric, so kubelet can verify runAsNonRoot; the USER of steps/NAME/Dockerfile
    run_as_user: int = 10001
    cache_max_age: str = "720h"
    artifact_prefix: str = "workbench"  # S3 keys: <prefix>/<pipeline>/<step>/<cache key>/<output>
    artifact_bucket: str = "workbench"
    artifact_endpoint: str = "minio.minio.svc:9000"
    artifact_insecure: bool = True  # in-cluster MinIO without TLS; production overlays flip it
    s3_secret: str = "workbench-s3-credentials"  # keys: access-key-id, secret-access-key
    mlflow_secret: str = "workbench-mlflow-credentials"  # keys: username, password
    tracking_uri: str = "http://mlflow.mlflow.svc:5000"
    model_store_claim: str = "workbench-model-store"
    model_store_size: str = "10Gi"
    scratch_size: str = "2Gi"  # sizeLimit of the /tmp emptyDir: a runaway step is evicted
    image_pull_policy: str = "IfNotPresent"  # overlays pin tags or digests
    retry_limit: int = 2
    step_deadline_seconds: int = 3600
    workflow_deadline_seconds: int = 4 * 3600
    schedules: tuple[str, ...] = ("0 3 * * *",)
    timezone: str = "Etc/UTC"
    starting_deadline_seconds: int = 600
    history_limit: int = 5
    sweep_metric: str = "roc_auc"
    sweep_direction: str = "max"  # "min" for losses
    sweep_parallelism: int = 4
    # the tuning fan-out (tune.py): the shared study's storage URL is this Secret's `url` key
    optuna_secret: str = "workbench-optuna-storage"
    tune_workers: int = 3
    tune_trials: int = 20  # per worker
    tune_objective: str = "workbench.demo.tuning"  # the example's objective module
    tune_metric: str = "cv_roc_auc"
    resources: Resources = field(default_factory=Resources)


@dataclass(frozen=True)
class Names:
    """Every object name the manifests of one pipeline use."""

    pipeline: str  # the spec's name, as in S3 keys and paths
    base: str  # its DNS form

    @classmethod
    def of(cls, pipeline: str) -> Names:
        return cls(pipeline=pipeline, base=dns_name(pipeline))

    @property
    def workflow_template(self) -> str:
        return self.base

    @property
    def cron_workflow(self) -> str:
        return f"{self.base}-scheduled"

    @property
    def notebook_template(self) -> str:
        return f"{self.base}-notebook"

    @property
    def sweep_template(self) -> str:
        return f"{self.base}-sweep"

    @property
    def tune_template(self) -> str:
        return f"{self.base}-tune"

    @property
    def service_account(self) -> str:
        return f"{self.base}-workflow"

    @property
    def executor_role(self) -> str:
        return f"{self.base}-executor"

    @property
    def config_map(self) -> str:
        return f"{self.base}-config"

    @property
    def artifact_repository(self) -> str:
        return f"{self.base}-artifact-repository"

    def cache_config_map(self, step: str) -> str:
        # one ConfigMap per step: the key stays the bare sha256 the local runner uses, and no
        # single ConfigMap grows toward its 1 MiB limit
        return f"workbench-cache-{self.base}-{dns_name(step)}"

    @staticmethod
    def step_template(step: str) -> str:
        return f"step-{dns_name(step)}"

    @staticmethod
    def task(step: str) -> str:
        return dns_name(step)

    @staticmethod
    def digest_param(output: str) -> str:
        return f"{output}-sha256"


def image_name(pipeline: str, options: ArgoOptions) -> str:
    return options.image or f"workbench/{dns_name(pipeline)}-steps"


def image_ref(pipeline: str, options: ArgoOptions) -> str:
    return f"{image_name(pipeline, options)}:{options.image_tag}"
