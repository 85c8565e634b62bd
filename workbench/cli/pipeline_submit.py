"""`workbench pipeline submit NAME --overlay ENV [--template T] [-p NAME=VALUE]... [--wait]`."""

from __future__ import annotations

import os
import sys

import click

TEMPLATES = ("steps", "notebook", "sweep", "tune")


@click.command()
@click.argument("name")
@click.option("--overlay", required=True, help="Overlay under manifests/NAME/overlays/.")
@click.option(
    "--template",
    type=click.Choice(TEMPLATES),
    default="steps",
    show_default=True,
    help="The pipeline's steps, one notebook run, the sweep, or the tuning fan-out.",
)
@click.option("--dry-run", is_flag=True, help="Print the built manifests instead of submitting.")
@click.option(
    "-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Workflow parameter."
)
@click.option("--namespace", default=None, help="Default: the overlay's namespace.")
@click.option("--wait", is_flag=True, help="Follow the workflow; exit 1 if it fails.")
@click.option(
    "--refuse-stale",
    is_flag=True,
    help="Exit 2 instead of warning when the notebook changed after productionize.",
)
def command(
    name: str,
    overlay: str,
    template: str,
    dry_run: bool,
    params: tuple[str, ...],
    namespace: str | None,
    wait: bool,
    refuse_stale: bool,
) -> None:
    """Submit the pipeline's Argo workflow to ARGO_SERVER (token from ARGO_TOKEN)."""
    from workbench.cli.stale import warn_if_stale
    from workbench.core.settings import settings
    from workbench.deploy import argo_client as argo
    from workbench.deploy.params import template_parameters
    from workbench.deploy.rehearse.workflow import Built
    from workbench.emit.argo.options import Names

    # the manifests come from the same compile: compare every generated file, not just steps/
    warn_if_stale(name, refuse=refuse_stale, steps_only=False)
    folder = argo.overlay_dir(settings().manifests_dir, name, overlay)
    text, note = argo.render_overlay(folder)
    if dry_run:
        click.echo(f"# {note}", err=True)
        click.echo(text, nl=False)
        return
    names = Names.of(name)
    ref = {"steps": names.workflow_template, "notebook": names.notebook_template,
           "sweep": names.sweep_template, "tune": names.tune_template}[template]  # fmt: skip
    built = Built.parse(text).get("WorkflowTemplate", ref)
    parameters = template_parameters(built, params)
    server = argo.ArgoServer.from_env(os.environ)
    ns = namespace or argo.overlay_namespace(folder)
    created = argo.submit(name, namespace=ns, server=server, parameters=parameters, template=ref)
    click.echo(f"submitted {created} in namespace {ns} to {server.url}")
    if wait:
        from workbench.deploy.watch import follow

        sys.exit(follow(created, namespace=ns, server=server, echo=click.echo))
