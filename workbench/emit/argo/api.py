"""The Argo Server calls that need hera: create a Workflow from a WorkflowTemplate, read one back.

This is the one part of the Argo package that talks to a server rather than rendering text; it
lives here so that hera stays inside the Argo emitters (import-linter contract). The Workflow
is built with hera (a `workflowTemplateRef` plus parameter arguments, the same objects the
emitter renders) and sent, like the read, through hera's WorkflowsService. Server, token and
TLS settings come from the caller (`workbench.deploy.argo_client.ArgoServer`); errors are one
`WorkbenchError` line naming the server.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from workbench.core.errors import WorkbenchError


def _service(host: str, token: str, verify_ssl: bool, namespace: str) -> Any:
    from hera.workflows import WorkflowsService

    return WorkflowsService(host=host, token=token, verify_ssl=verify_ssl, namespace=namespace)


def create_workflow(
    *,
    host: str,
    token: str,
    verify_ssl: bool,
    namespace: str,
    template: str,
    parameters: Mapping[str, str],
    labels: Mapping[str, str],
) -> str:
    """POST a Workflow referring to WorkflowTemplate `template`; return its generated name."""
    from hera.workflows import Parameter, Workflow
    from hera.workflows.models import Workflow as WorkflowModel
    from hera.workflows.models import WorkflowCreateRequest, WorkflowTemplateRef

    workflow = Workflow(
        generate_name=f"{template}-",
        namespace=namespace,
        workflow_template_ref=WorkflowTemplateRef(name=template),
        arguments=[Parameter(name=k, value=v) for k, v in sorted(parameters.items())],
        labels=dict(labels),
    )
    model = workflow.build()
    assert isinstance(model, WorkflowModel)
    with _errors(host, "refused the workflow"):
        created = _service(host, token, verify_ssl, namespace).create_workflow(
            WorkflowCreateRequest(workflow=model), namespace=namespace
        )
    return str(created.metadata.name or "")


def read_workflow(
    name: str, *, host: str, token: str, verify_ssl: bool, namespace: str
) -> dict[str, Any]:
    """The workflow as the API returns it (JSON), `status.nodes` included."""
    with _errors(host, f"cannot read workflow {name}"):
        found = _service(host, token, verify_ssl, namespace).get_workflow(name, namespace=namespace)
    return dict(found.model_dump(by_alias=True, exclude_none=True))


@contextmanager
def _errors(host: str, what: str) -> Iterator[None]:
    import requests
    from hera.exceptions import HeraException

    try:
        yield
    except HeraException as exc:
        raise WorkbenchError(f"Argo server {host} {what}: {exc}") from exc
    except (requests.RequestException, KeyError, ValueError) as exc:
        raise WorkbenchError(f"Argo server {host}: {type(exc).__name__}: {exc}") from exc
