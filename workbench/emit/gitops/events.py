"""Argo Events: the EventBus, the GitHub webhook EventSource and the Sensor that submits the CI
WorkflowTemplate for a push to the main branch or a pull request against it.

The Sensor's filters and parameters use only `data` filters (path/type/value, string type) and
`src.dataKey`: the subset tests/gitops/sensor_eval.py evaluates in the tests against recorded
GitHub payloads. The submitted Workflow is a hera object.
"""

from __future__ import annotations

import re

from hera.workflows import Parameter, Workflow
from hera.workflows.models import WorkflowTemplateRef

from workbench.emit.gitops.project import PlatformSpec
from workbench.emit.gitops.types import DataFilter, Obj, SecretRef, TriggerParam

API = "argoproj.io/v1alpha1"
NAMESPACE = "argo-events"
EVENTBUS = "default"
EVENTSOURCE = "github"
EVENT = "ci"  # the EventSource's event name, the Sensor's eventName
WEBHOOK_PORT = "12000"
WEBHOOK_SECRET = SecretRef(name="github-webhook", key="secret")
API_TOKEN = SecretRef(name="github-access", key="token")
SENSOR_ACCOUNT = "ci-sensor"
PUSH, PULL_REQUEST = "push", "pull-request"
PR_ACTIONS = ("opened", "synchronize", "reopened")
# CI parameters, in the order of the submitted Workflow's arguments
CI_PARAMETERS = ("repository", "revision", "branch", "pr-number")
# where each dependency's payload carries them (GitHub webhook bodies)
DATA_KEYS: dict[str, dict[str, str]] = {
    PUSH: {
        "repository": "body.repository.clone_url",
        "revision": "body.after",
        "branch": "body.ref",  # refs/heads/NAME: the CI script strips the prefix
    },
    PULL_REQUEST: {
        "repository": "body.repository.clone_url",
        "revision": "body.pull_request.head.sha",
        "branch": "body.pull_request.head.ref",
        "pr-number": "body.number",
    },
}


def event_bus() -> Obj:
    """JetStream, three replicas: events survive a restarted pod."""
    return Obj(
        apiVersion=API,
        kind="EventBus",
        metadata={"name": EVENTBUS, "namespace": NAMESPACE},
        spec={"jetstream": {"version": "latest", "replicas": 3}},
    )


def event_source(spec: PlatformSpec) -> Obj:
    """GitHub webhooks for `push` and `pull_request`, signature checked with the webhook secret;
    the API token lets the EventSource register the hook on the repository."""
    github = {
        EVENT: {
            "repositories": [{"owner": spec.github_owner, "names": [spec.github_repo]}],
            "webhook": {"endpoint": "/github", "port": WEBHOOK_PORT, "method": "POST"},
            "events": ["push", "pull_request"],
            "apiToken": dict(API_TOKEN),
            "webhookSecret": dict(WEBHOOK_SECRET),
            "insecure": False,
            "active": True,
            "contentType": "json",
        }
    }
    return Obj(
        apiVersion=API,
        kind="EventSource",
        metadata={"name": EVENTSOURCE, "namespace": NAMESPACE},
        spec={
            "eventBusName": EVENTBUS,
            "service": {"ports": [{"port": int(WEBHOOK_PORT), "targetPort": int(WEBHOOK_PORT)}]},
            "github": github,
        },
    )


def exactly(text: str) -> str:
    """Argo Events matches `string` filters as unanchored Go regular expressions: anchor and
    escape, or `main` would also accept `not-main`."""
    return "^" + re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text) + "$"


def _filters(spec: PlatformSpec, dependency: str) -> list[DataFilter]:
    # headers arrive as Go's http.Header (canonical names, a list of values): element 0 is
    # the event name; the whole list would be matched as its JSON text
    if dependency == PUSH:
        return [
            DataFilter(path="headers.X-Github-Event.0", type="string", value=[exactly("push")]),
            DataFilter(
                path="body.ref", type="string", value=[exactly(f"refs/heads/{spec.main_branch}")]
            ),
            # deleting the branch is a push too (after = 000…): nothing to test
            DataFilter(path="body.deleted", type="bool", value=["false"]),
        ]
    return [
        DataFilter(path="headers.X-Github-Event.0", type="string", value=[exactly("pull_request")]),
        DataFilter(path="body.action", type="string", value=[exactly(a) for a in PR_ACTIONS]),
        DataFilter(
            path="body.pull_request.base.ref", type="string", value=[exactly(spec.main_branch)]
        ),
        # CI runs with registry and git credentials: a fork's PR must not run its code with
        # them (a maintainer pushes the branch to the repository instead)
        DataFilter(
            path="body.pull_request.head.repo.full_name",
            type="string",
            value=[exactly(f"{spec.github_owner}/{spec.github_repo}")],
        ),
    ]


def ci_workflow(spec: PlatformSpec) -> Workflow:
    """What the Sensor submits: a run of the CI WorkflowTemplate, parameters filled per event."""
    return Workflow(
        generate_name=f"{spec.ci_template}-",
        namespace=spec.ci_namespace,
        workflow_template_ref=WorkflowTemplateRef(name=spec.ci_template),
        arguments=[Parameter(name=name, value="") for name in CI_PARAMETERS],
    )


def _parameters(dependency: str) -> list[TriggerParam]:
    keys = DATA_KEYS[dependency]
    return [
        TriggerParam(
            src={"dependencyName": dependency, "dataKey": keys[name]},
            dest=f"spec.arguments.parameters.{index}.value",
        )
        for index, name in enumerate(CI_PARAMETERS)
        if name in keys
    ]


def sensor(spec: PlatformSpec) -> Obj:
    workflow = ci_workflow(spec).to_dict()
    dependencies = [
        {
            "name": dep,
            "eventSourceName": EVENTSOURCE,
            "eventName": EVENT,
            "filters": {"data": _filters(spec, dep)},
        }
        for dep in (PUSH, PULL_REQUEST)
    ]
    triggers = [
        {
            "template": {
                "name": f"ci-{dep}",
                "conditions": dep,
                "argoWorkflow": {
                    "operation": "submit",
                    "source": {"resource": workflow},
                    "parameters": _parameters(dep),
                },
            },
            "retryStrategy": {"steps": 3},
        }
        for dep in (PUSH, PULL_REQUEST)
    ]
    return Obj(
        apiVersion=API,
        kind="Sensor",
        metadata={"name": "ci", "namespace": NAMESPACE},
        spec={
            "eventBusName": EVENTBUS,
            "template": {"serviceAccountName": SENSOR_ACCOUNT},
            "dependencies": dependencies,
            "triggers": triggers,
        },
    )


def sensor_rbac(spec: PlatformSpec) -> list[Obj]:
    """The Sensor may create Workflows in the CI namespace, and nothing else."""
    return [
        Obj(
            apiVersion="v1",
            kind="ServiceAccount",
            metadata={"name": SENSOR_ACCOUNT, "namespace": NAMESPACE},
            automountServiceAccountToken=True,
        ),
        Obj(
            apiVersion="rbac.authorization.k8s.io/v1",
            kind="Role",
            metadata={"name": "ci-sensor-submit", "namespace": spec.ci_namespace},
            rules=[
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflows"],
                    "verbs": ["create", "get", "list"],
                },
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflowtemplates"],
                    "verbs": ["get", "list"],
                },
            ],
        ),
        Obj(
            apiVersion="rbac.authorization.k8s.io/v1",
            kind="RoleBinding",
            metadata={"name": "ci-sensor-submit", "namespace": spec.ci_namespace},
            roleRef={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "ci-sensor-submit",
            },
            subjects=[{"kind": "ServiceAccount", "name": SENSOR_ACCOUNT, "namespace": NAMESPACE}],
        ),
    ]
