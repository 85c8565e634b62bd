"""The model-server pod every serving variant runs: `workbench serve` in the serving image.

One builder, so a hardening or probe change lands in the SeldonDeployment, the InferenceService
and the plain Deployment at once. The model URI reaches the container as an environment
variable from the `<model>-serving` ConfigMap and the command line names it as `$(VAR)`, which
the kubelet expands: `workbench deploy` changes one ConfigMap literal in an overlay, kustomize
gives the ConfigMap a new hash-suffixed name, and the changed pod template rolls the pods.
"""

from __future__ import annotations

from workbench.emit.serving import types as t
from workbench.emit.serving.options import (
    MODEL_URI_ENV,
    S3_ENDPOINT_KEY,
    SCRATCH,
    TRACKING_URI_KEY,
    ServingNames,
    ServingOptions,
)

HEALTH_PATH = "/health/ping"
SCRATCH_VOLUME = "scratch"
MODEL_STORE_VOLUME = "model-store"


def server_command(port: int) -> tuple[list[str], list[str]]:
    """(command, args) of the model-server container; the test runs exactly these."""
    args = [f"$({MODEL_URI_ENV})", "--host", "0.0.0.0", "--port", str(port)]
    return ["workbench", "serve"], args


def labels(names: ServingNames, predictor: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": names.base,
        "app.kubernetes.io/component": "model-server",
        "app.kubernetes.io/part-of": "workbench",
        "workbench.io/predictor": predictor,
    }


def _config(names: ServingNames, name: str, key: str) -> t.EnvVar:
    return {"name": name, "valueFrom": {"configMapKeyRef": {"name": names.config_map, "key": key}}}


def _secret(name: str, secret: str, key: str) -> t.EnvVar:
    ref: t.OptionalKeyRef = {"name": secret, "key": key, "optional": True}
    return {"name": name, "valueFrom": {"secretKeyRef": ref}}


def environment(names: ServingNames, options: ServingOptions, predictor: str) -> list[t.EnvVar]:
    """The model URI and tracking location by ConfigMap reference, credentials by Secret
    reference only (optional keys: a registry without auth still starts the pods)."""
    return [
        {"name": "HOME", "value": SCRATCH},  # mlflow's child process and caches write under HOME
        {"name": "TMPDIR", "value": SCRATCH},
        {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
        {"name": "WORKBENCH_MODEL_STORE", "value": options.model_store_mount},
        _config(names, MODEL_URI_ENV, predictor),
        _config(names, "MLFLOW_TRACKING_URI", TRACKING_URI_KEY),
        _config(names, "MLFLOW_S3_ENDPOINT_URL", S3_ENDPOINT_KEY),
        _secret("AWS_ACCESS_KEY_ID", options.s3_secret, "access-key-id"),
        _secret("AWS_SECRET_ACCESS_KEY", options.s3_secret, "secret-access-key"),
        _secret("MLFLOW_TRACKING_USERNAME", options.mlflow_secret, "username"),
        _secret("MLFLOW_TRACKING_PASSWORD", options.mlflow_secret, "password"),
    ]


def _probe(port: int, period: int, failures: int) -> t.Probe:
    return {
        "httpGet": {"path": HEALTH_PATH, "port": port},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def container_security_context(options: ServingOptions) -> t.SecurityContext:
    return {
        "runAsNonRoot": True,
        "runAsUser": options.run_as_user,
        "runAsGroup": options.run_as_user,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_security_context(options: ServingOptions) -> t.PodSecurityContext:
    uid = options.run_as_user
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container(
    names: ServingNames, options: ServingOptions, image: str, predictor: str, port: int, name: str
) -> t.Container:
    command, args = server_command(port)
    r = options.resources
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "Always",
        "command": command,
        "args": args,
        "env": environment(names, options, predictor),
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        # start-up resolves the registry and checks the model's sha256: allow up to 2 minutes
        "startupProbe": _probe(port, period=5, failures=24),
        "readinessProbe": _probe(port, period=5, failures=3),
        "livenessProbe": _probe(port, period=10, failures=3),
        "resources": {
            "requests": {"cpu": r.cpu_request, "memory": r.memory_request},
            "limits": {"cpu": r.cpu_limit, "memory": r.memory_limit},
        },
        "securityContext": container_security_context(options),
        "volumeMounts": [
            {"name": SCRATCH_VOLUME, "mountPath": SCRATCH},
            {"name": MODEL_STORE_VOLUME, "mountPath": options.model_store_mount, "readOnly": True},
        ],
    }


def volumes(options: ServingOptions) -> list[t.Volume]:
    """/tmp is the only writable path; the model store is the pipeline's claim, read-only."""
    return [
        {"name": SCRATCH_VOLUME, "emptyDir": {"sizeLimit": "1Gi"}},
        {
            "name": MODEL_STORE_VOLUME,
            "persistentVolumeClaim": {"claimName": options.model_store_claim, "readOnly": True},
        },
    ]


def pod_spec(
    names: ServingNames, options: ServingOptions, image: str, predictor: str, port: int, name: str
) -> t.PodSpec:
    return {
        "serviceAccountName": names.service_account,
        "automountServiceAccountToken": False,  # the server never calls the Kubernetes API
        "securityContext": pod_security_context(options),
        "terminationGracePeriodSeconds": 30,  # SIGTERM drains in-flight requests
        "containers": [container(names, options, image, predictor, port, name)],
        "volumes": volumes(options),
    }
