"""The three ways to run the model server, each a function of (names, options, image):

- SeldonDeployment (seldon-core v1, Seldon protocol): a predictor per model role, `champion`
  and `challenger`, whose single MODEL node is the workbench server on Seldon's port 9000;
  seldon-core's executor in front answers /api/v1.0/predictions on the predictor Service.
- InferenceService (KServe, Open Inference V2): the same server as a custom predictor container,
  `PROTOCOL=v2` (KServe reads a custom container's protocol from that variable).
- Deployment + Service + HorizontalPodAutoscaler + PodDisruptionBudget, for clusters with
  neither operator (the Service speaks every protocol the server does).
"""

from __future__ import annotations

from typing import Any

from workbench.emit.serving import pod
from workbench.emit.serving import types as t
from workbench.emit.serving.options import (
    KSERVE_PORT,
    PREDICTORS,
    SELDON_PORT,
    ServingNames,
    ServingOptions,
)

SELDON_NODE = "model"  # graph node name = container name (seldon-core matches them)


def object_meta(name: str, options: ServingOptions, names: ServingNames) -> t.Meta:
    return {
        "name": name,
        "namespace": options.namespace,
        "labels": {"app.kubernetes.io/part-of": "workbench", "app.kubernetes.io/name": names.base},
    }


def service_account(names: ServingNames, options: ServingOptions) -> t.Obj:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": object_meta(names.service_account, options, names),
        "automountServiceAccountToken": False,
    }


def _seldon_predictor(
    names: ServingNames, options: ServingOptions, image: str, predictor: str
) -> dict[str, Any]:
    champion = predictor == PREDICTORS[0]
    return {
        "name": predictor,
        # the challenger runs only for a canary: the overlay scales it up and shifts weight
        "replicas": options.replicas if champion else 0,
        "traffic": 100 if champion else 0,
        "labels": {"workbench.io/predictor": predictor},
        "componentSpecs": [
            {
                "metadata": {"labels": pod.labels(names, predictor)},
                "spec": pod.pod_spec(names, options, image, predictor, SELDON_PORT, SELDON_NODE),
            }
        ],
        "graph": {
            "name": SELDON_NODE,
            "type": "MODEL",
            "endpoint": {"type": "REST", "httpPort": SELDON_PORT},
            "children": [],
        },
    }


def seldon_deployment(names: ServingNames, options: ServingOptions, image: str) -> t.Obj:
    return {
        "apiVersion": "machinelearning.seldon.io/v1",
        "kind": "SeldonDeployment",
        "metadata": object_meta(names.base, options, names),
        "spec": {
            "name": names.base,
            "protocol": "seldon",
            "predictors": [_seldon_predictor(names, options, image, p) for p in PREDICTORS],
        },
    }


def inference_service(names: ServingNames, options: ServingOptions, image: str) -> t.Obj:
    spec = pod.pod_spec(names, options, image, PREDICTORS[0], KSERVE_PORT, "kserve-container")
    spec["containers"][0]["env"].insert(0, {"name": "PROTOCOL", "value": "v2"})
    predictor: dict[str, Any] = {
        "minReplicas": options.replicas,
        "maxReplicas": options.max_replicas,
        **spec,
    }
    meta = object_meta(names.base, options, names)
    meta["annotations"] = {"serving.kserve.io/deploymentMode": "RawDeployment"}
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": meta,
        "spec": {"predictor": predictor},
    }


def _selector(names: ServingNames) -> dict[str, str]:
    labels = pod.labels(names, PREDICTORS[0])
    return {k: labels[k] for k in ("app.kubernetes.io/name", "workbench.io/predictor")}


# checkov findings that do not apply, with the reason, where checkov reads them
_CHECKOV_SKIPS = {
    "checkov.io/skip1": "CKV_K8S_43=the overlays pin the image; CI sets a digest with "
    "`workbench set-image`",
    "checkov.io/skip2": "CKV_K8S_35=the MLflow and AWS clients read credentials from the "
    "environment; values come from Secret references only",
}


def deployment(names: ServingNames, options: ServingOptions, image: str) -> t.Obj:
    champion = PREDICTORS[0]
    meta = object_meta(names.base, options, names)
    meta["annotations"] = dict(_CHECKOV_SKIPS)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": options.replicas,
            "selector": {"matchLabels": _selector(names)},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": {
                "metadata": {"labels": pod.labels(names, champion)},
                "spec": pod.pod_spec(names, options, image, champion, SELDON_PORT, "model"),
            },
        },
    }


def service(names: ServingNames, options: ServingOptions) -> t.Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(names.base, options, names),
        "spec": {
            "type": "ClusterIP",
            "selector": _selector(names),
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def autoscaler(names: ServingNames, options: ServingOptions) -> t.Obj:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": object_meta(names.base, options, names),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": names.base},
            "minReplicas": options.replicas,
            "maxReplicas": options.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": options.cpu_target_percent,
                        },
                    },
                }
            ],
        },
    }


def disruption_budget(names: ServingNames, options: ServingOptions) -> t.Obj:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": object_meta(names.base, options, names),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": _selector(names)}},
    }


def network_policy(names: ServingNames, options: ServingOptions, ports: tuple[int, ...]) -> t.Obj:
    """Ingress to the model-server pods only on their serving ports (Seldon: the executor's
    8000 and the model's 9000); egress stays open for the registry and object storage."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": object_meta(names.base, options, names),
        "spec": {
            "podSelector": {
                "matchLabels": {
                    "app.kubernetes.io/name": names.base,
                    "app.kubernetes.io/component": "model-server",
                }
            },
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"protocol": "TCP", "port": p} for p in ports]}],
        },
    }
