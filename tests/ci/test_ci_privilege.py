"""Least privilege in the CI workflow, read from the generated WorkflowTemplate and RBAC: which
Kubernetes identity each template's containers hold, what that identity may do, and which
Secrets each template sees. The `test` step runs the pull request's own code (`make test`): it
must hold no token and no Secret, and only `record-ci-image` may patch the CI-image ConfigMap
the next main run starts from.

How Argo Workflows (3.5.15+, 3.6.0+: workflow/controller/workflowpod.go) mounts tokens, as here:
with `automountServiceAccountToken` true (the default) every container of the pod holds the
pod's ServiceAccount token; with it false, only Argo's own containers (init, wait and, in a
resource template, the main container, which is Argo's executor running kubectl) hold the token
of `executor.serviceAccountName`, and a container template's main container holds none. The
template's field wins over the workflow's."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.ci.test_ci_first_run import RECORDED, walk
from tests.ci.test_ci_template import spec
from workbench.emit import build_platform

CONFIG_MAP = "churn-ci-image"
# steps that execute code of the revision under test: the pull request's, on a PR run
RUNS_PR_CODE = ("test", "test-first")


@pytest.fixture(scope="module")
def platform() -> dict[str, list[dict[str, Any]]]:
    files = build_platform(spec())
    out: dict[str, list[dict[str, Any]]] = {}
    for rel, text in files.items():
        if rel.startswith("manifests/platform/ci/"):
            for doc in yaml.safe_load_all(text):
                if doc:
                    out.setdefault(doc["kind"], []).append(doc)
    return out


def _pod_templates(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        t["name"]: t
        for t in workflow["spec"]["templates"]
        if "container" in t or "resource" in t or "script" in t
    }


def _setting(template: dict[str, Any], workflow: dict[str, Any], key: str, default: Any) -> Any:
    return template.get(key, workflow["spec"].get(key, default))


def main_identity(template: dict[str, Any], workflow: dict[str, Any]) -> str | None:
    """The ServiceAccount whose token the container doing the template's work holds."""
    pod = _setting(template, workflow, "serviceAccountName", "default")
    if _setting(template, workflow, "automountServiceAccountToken", True):
        return str(pod)
    if "resource" in template:
        executor = _setting(template, workflow, "executor", {}).get("serviceAccountName")
        assert executor, f"{template['name']}: no token and no executor account"
        return str(executor)
    return None


def executor_identity(template: dict[str, Any], workflow: dict[str, Any]) -> str:
    if _setting(template, workflow, "automountServiceAccountToken", True):
        return str(_setting(template, workflow, "serviceAccountName", "default"))
    return str(_setting(template, workflow, "executor", {})["serviceAccountName"])


def rules_of(account: str, rbac: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Every rule a Role bound to ACCOUNT grants (ClusterRoles are not generated: refuse)."""
    assert "ClusterRoleBinding" not in rbac and "ClusterRole" not in rbac
    roles = {r["metadata"]["name"]: r for r in rbac.get("Role", [])}
    out = []
    for binding in rbac.get("RoleBinding", []):
        if any(s["kind"] == "ServiceAccount" and s["name"] == account for s in binding["subjects"]):
            assert binding["roleRef"]["kind"] == "Role"
            out += roles[binding["roleRef"]["name"]]["rules"]
    return out


def can(rules: list[dict[str, Any]], verb: str, group: str, resource: str, name: str) -> bool:
    return any(
        group in r["apiGroups"]
        and resource in r["resources"]
        and verb in r["verbs"]
        and ("resourceNames" not in r or name in r["resourceNames"])
        for r in rules
    )


def secrets_seen(template: dict[str, Any], workflow: dict[str, Any]) -> set[str]:
    """The Secrets the template's main container reads: env references and mounted volumes."""
    container = template.get("container") or template.get("script") or {}
    seen = {
        env["valueFrom"]["secretKeyRef"]["name"]
        for env in container.get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
    }
    seen |= {
        source["secretRef"]["name"]
        for source in container.get("envFrom", [])
        if "secretRef" in source
    }
    volumes = {v["name"]: v for v in workflow["spec"].get("volumes", [])}
    volumes |= {v["name"]: v for v in template.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"], {})
        if "secret" in volume:
            seen.add(volume["secret"]["secretName"])
    return seen


def test_only_record_ci_image_may_patch_the_ci_image_config_map(
    platform: dict[str, list[dict[str, Any]]],
) -> None:
    (workflow,) = platform["WorkflowTemplate"]
    templates = _pod_templates(workflow)
    patching = set()
    for name, template in templates.items():
        identity = main_identity(template, workflow)
        if identity and can(rules_of(identity, platform), "patch", "", "configmaps", CONFIG_MAP):
            patching.add(name)
    assert patching == {"record-ci-image"}
    record = main_identity(templates["record-ci-image"], workflow)
    assert record is not None
    assert can(rules_of(record, platform), "get", "", "configmaps", CONFIG_MAP)
    # by name only: no other ConfigMap (the scripts CI runs) is writable
    assert not can(rules_of(record, platform), "patch", "", "configmaps", "churn-ci-scripts")


def test_no_step_container_holds_a_kubernetes_token(
    platform: dict[str, list[dict[str, Any]]],
) -> None:
    """Every container template's main container runs without a token; Argo's executor holds
    the CI account's, which may only report task results (Argo's documented minimum)."""
    (workflow,) = platform["WorkflowTemplate"]
    for name, template in _pod_templates(workflow).items():
        if "resource" in template:
            continue
        assert main_identity(template, workflow) is None, name
        rules = rules_of(executor_identity(template, workflow), platform)
        assert rules == [
            {
                "apiGroups": ["argoproj.io"],
                "resources": ["workflowtaskresults"],
                "verbs": ["create", "patch"],
            }
        ], name


def test_the_pull_requests_code_sees_no_secret(platform: dict[str, list[dict[str, Any]]]) -> None:
    (workflow,) = platform["WorkflowTemplate"]
    templates = _pod_templates(workflow)
    tasks = {t["name"]: t["template"] for t in templates_of(workflow, "ci")}
    for task in RUNS_PR_CODE:
        template = templates[tasks[task]]
        assert secrets_seen(template, workflow) == set(), task
        assert main_identity(template, workflow) is None, task


def templates_of(workflow: dict[str, Any], dag: str) -> list[dict[str, Any]]:
    (entry,) = [t for t in workflow["spec"]["templates"] if t["name"] == dag]
    return list(entry["dag"]["tasks"])


def test_the_token_secrets_hold_no_value(platform: dict[str, list[dict[str, Any]]]) -> None:
    """Argo finds an executor's token as the Secret `ACCOUNT.service-account-token`; Kubernetes
    fills it, git holds only its name and type."""
    accounts = {a["metadata"]["name"] for a in platform["ServiceAccount"]}
    assert accounts == {"churn-ci", "churn-ci-recorder"}
    secrets = {s["metadata"]["name"]: s for s in platform["Secret"]}
    assert set(secrets) == {f"{a}.service-account-token" for a in accounts}
    for name, secret in secrets.items():
        assert secret["type"] == "kubernetes.io/service-account-token"
        assert "data" not in secret and "stringData" not in secret
        account = secret["metadata"]["annotations"]["kubernetes.io/service-account.name"]
        assert name == f"{account}.service-account-token"
    for account in platform["ServiceAccount"]:
        assert account["automountServiceAccountToken"] is False


def _runs_checked_out_code(template: dict[str, Any]) -> bool:
    """test.sh runs `make test` on the checkout; build.sh has BuildKit run its Dockerfiles'
    RUN steps (which share BuildKit's process namespace: --oci-worker-no-process-sandbox)."""
    command = (template.get("container") or {}).get("command", [])
    return any(str(part).endswith(("/test.sh", "/build.sh")) for part in command)


@pytest.mark.parametrize("ci_image", ["", RECORDED])
def test_a_pull_requests_run_gives_its_code_no_credential(
    platform: dict[str, list[dict[str, Any]]], ci_image: str
) -> None:
    """Followed through the DAG (tests/ci/dag_eval.py), a pull request's run, first or later:
    every pod that runs the pull request's code (its tests, its Dockerfiles) holds no token
    and no Secret, and the registry credential reaches no pod of the run at all (nothing of a
    pull request is pushed); the Secrets its other pods see are the checkout's and, in the
    image main recorded, the commit status's."""
    (workflow,) = platform["WorkflowTemplate"]
    templates = _pod_templates(workflow)
    main, exit_ = walk(workflow, ci_image, branch="refs/heads/feature")
    tasks = {t["name"]: t["template"] for t in templates_of(workflow, "ci")}
    tasks |= {t["name"]: t["template"] for t in templates_of(workflow, "exit")}
    code = []
    seen: set[str] = set()
    for task in [*main.order, *exit_.order]:
        template = templates[tasks[task]]
        secrets = secrets_seen(template, workflow)
        seen |= secrets
        if _runs_checked_out_code(template):
            code.append(task)
            assert secrets == set(), task
            assert main_identity(template, workflow) is None, task
        elif code and secrets:
            # after the pull request's code wrote to the shared checkout, a pod with a Secret
            # must not see it (status.sh's `python3 -c` would import a planted json.py there)
            mounts = {m["name"] for m in template["container"].get("volumeMounts", [])}
            assert "workspace" not in mounts, (task, secrets)
    assert {"build-ci-pr", "build-steps-pr", "build-serving-pr"} <= set(code)
    assert ("test" in code) == (ci_image == RECORDED)
    assert seen <= {"churn-ci-git", "churn-ci-github"}, seen
    assert "churn-ci-registry" not in seen
