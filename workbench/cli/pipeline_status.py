"""`workbench pipeline status WORKFLOW` and `workbench pipeline logs WORKFLOW [--step S]`."""

from __future__ import annotations

import os

import click

namespace_option = click.option(
    "--namespace",
    envvar="ARGO_NAMESPACE",
    required=True,
    help="The workflow's namespace (default: $ARGO_NAMESPACE).",
)


@click.command()
@click.argument("workflow")
@namespace_option
def command(workflow: str, namespace: str) -> None:
    """Print a submitted workflow's phase and each step's."""
    from workbench.deploy import argo_client as argo
    from workbench.deploy.watch import status_lines

    server = argo.ArgoServer.from_env(os.environ)
    found = argo.get_workflow(workflow, namespace=namespace, server=server)
    for line in status_lines(found):
        click.echo(line)


@click.command()
@click.argument("workflow")
@click.option("--step", default=None, help="Only this step (task name).")
@namespace_option
def logs(workflow: str, step: str | None, namespace: str) -> None:
    """Print the logs of a submitted workflow's steps."""
    from workbench.core.errors import WorkbenchError
    from workbench.deploy import argo_client as argo
    from workbench.deploy.watch import pod_name, pod_nodes

    server = argo.ArgoServer.from_env(os.environ)
    found = argo.get_workflow(workflow, namespace=namespace, server=server)
    nodes = pod_nodes(found)
    if step is not None:
        nodes = [n for n in nodes if step in (n.get("displayName"), n.get("templateName"))]
        if not nodes:
            have = sorted({str(n.get("displayName")) for n in pod_nodes(found)})
            raise WorkbenchError(f"workflow {workflow}: no step {step!r} (have: {', '.join(have)})")
    for node in nodes:
        click.echo(f"== {node.get('displayName')} ({node.get('phase')})")
        click.echo(
            argo.pod_log(workflow, pod_name(workflow, node), namespace=namespace, server=server)
        )
