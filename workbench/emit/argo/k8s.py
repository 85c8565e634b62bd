"""The Kubernetes core objects a pipeline needs, as plain dicts (kustomize patches them by name).

- ServiceAccount: the pods' own identity, never `default`.
- Role + RoleBinding: the least the Argo executor needs (v3.4+ reports results through
  WorkflowTaskResult objects; it needs no pod access).
- ConfigMap `<pipeline>-config`: MLflow tracking URI and the S3 endpoint (no credentials).
- ConfigMap `<pipeline>-artifact-repository`: the S3/MinIO artifact repository the templates'
  key-only artifacts resolve against; credentials by Secret reference only.
- PersistentVolumeClaim: the model store every pod mounts (ReadWriteMany: parallel steps and the
  serving pods read and write it from different nodes).
The memoization ConfigMaps are not emitted: the controller creates and fills them, and a GitOps
sync of an emitted copy would wipe its cache entries.
"""

from __future__ import annotations

from typing import Any

import yaml

from workbench.emit.argo.options import ArgoOptions, Names
from workbench.emit.argo.pipeline import ARTIFACT_REPOSITORY_KEY
from workbench.emit.argo.pods import S3_ENDPOINT_KEY, TRACKING_URI_KEY

Obj = dict[str, Any]


def _meta(name: str, options: ArgoOptions, names: Names) -> Obj:
    return {
        "name": name,
        "namespace": options.namespace,
        "labels": {"app.kubernetes.io/part-of": "workbench", "workbench.io/pipeline": names.base},
    }


def service_account(names: Names, options: ArgoOptions) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(names.service_account, options, names),
    }


def executor_role(names: Names, options: ArgoOptions) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _meta(names.executor_role, options, names),
        "rules": [
            {
                "apiGroups": ["argoproj.io"],
                "resources": ["workflowtaskresults"],
                "verbs": ["create", "patch"],
            }
        ],
    }


def executor_role_binding(names: Names, options: ArgoOptions) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _meta(names.executor_role, options, names),
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": names.executor_role,
        },
        "subjects": [
            {
                "kind": "ServiceAccount",
                "name": names.service_account,
                "namespace": options.namespace,
            }
        ],
    }


def config_map(names: Names, options: ArgoOptions) -> Obj:
    scheme = "http" if options.artifact_insecure else "https"
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(names.config_map, options, names),
        "data": {
            TRACKING_URI_KEY: options.tracking_uri,
            S3_ENDPOINT_KEY: f"{scheme}://{options.artifact_endpoint}",
        },
    }


def artifact_repository(names: Names, options: ArgoOptions) -> Obj:
    s3 = {
        "bucket": options.artifact_bucket,
        "endpoint": options.artifact_endpoint,
        "insecure": options.artifact_insecure,
        "accessKeySecret": {"name": options.s3_secret, "key": "access-key-id"},
        "secretKeySecret": {"name": options.s3_secret, "key": "secret-access-key"},
    }
    meta = _meta(names.artifact_repository, options, names)
    meta["annotations"] = {
        "workflows.argoproj.io/default-artifact-repository": ARTIFACT_REPOSITORY_KEY
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta,
        "data": {ARTIFACT_REPOSITORY_KEY: yaml.safe_dump({"s3": s3}, sort_keys=True)},
    }


def model_store_claim(names: Names, options: ArgoOptions) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _meta(options.model_store_claim, options, names),
        "spec": {
            "accessModes": ["ReadWriteMany"],
            "resources": {"requests": {"storage": options.model_store_size}},
        },
    }
