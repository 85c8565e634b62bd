"""The CI workflow's Kubernetes identities (see ci_rbac). Two, because the run's steps differ
in trust: the tests and builds run the revision under test (a pull request's own code), while
`record-ci-image` writes the image the next main run starts in. Only Argo's executor holds a
token of the first; only record-ci-image runs as the second."""

from __future__ import annotations

from typing import Any

from workbench.emit.gitops.project import PlatformSpec


def ci_account(spec: PlatformSpec) -> str:
    """Every CI pod's ServiceAccount; its token reaches Argo's executor containers only."""
    return f"{spec.project}-ci"


def recorder_account(spec: PlatformSpec) -> str:
    """record-ci-image's ServiceAccount: the one that may patch the CI-image ConfigMap."""
    return f"{spec.project}-ci-recorder"


EXECUTOR_RULE = {  # what Argo's emissary executor needs (3.5+): report task results
    "apiGroups": ["argoproj.io"],
    "resources": ["workflowtaskresults"],
    "verbs": ["create", "patch"],
}


def _account(
    namespace: str, name: str, rules: list[dict[str, Any]], purpose: str
) -> list[dict[str, Any]]:
    """A ServiceAccount that mounts no token by itself, the long-lived token Secret Argo mounts
    into executor containers (found by its name `NAME.service-account-token`; Kubernetes fills
    it, git holds no value), and a Role with RULES bound to it."""
    meta = {"name": name, "namespace": namespace, "annotations": {"workbench/purpose": purpose}}
    token = f"{name}.service-account-token"
    rbac = "rbac.authorization.k8s.io"
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta,
            "automountServiceAccountToken": False,
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": token,
                "namespace": namespace,
                "annotations": {"kubernetes.io/service-account.name": name},
            },
            "type": "kubernetes.io/service-account-token",
        },
        {"apiVersion": f"{rbac}/v1", "kind": "Role", "metadata": meta, "rules": rules},
        {
            "apiVersion": f"{rbac}/v1",
            "kind": "RoleBinding",
            "metadata": meta,
            "roleRef": {"apiGroup": rbac, "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
        },
    ]


def ci_rbac(spec: PlatformSpec) -> list[dict[str, Any]]:
    """Two identities. `PROJECT-ci`, every CI pod's: Argo's executor reports task results with
    it and nothing else, and no step container (the tests run the pull request's own code)
    gets its token at all. `PROJECT-ci-recorder`, record-ci-image's only: it may also get and
    patch the CI-image ConfigMap (in git without its image key), by name."""
    record = {
        "apiGroups": [""],
        "resources": ["configmaps"],
        "resourceNames": [spec.ci_image_config_map],
        "verbs": ["get", "patch"],
    }
    return [
        *_account(
            spec.ci_namespace,
            ci_account(spec),
            [dict(EXECUTOR_RULE)],
            "Argo's executor in every CI pod: report task results",
        ),
        *_account(
            spec.ci_namespace,
            recorder_account(spec),
            [dict(EXECUTOR_RULE), record],
            "record-ci-image: write the CI image the next run starts in",
        ),
    ]
