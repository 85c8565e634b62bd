"""`workbench pipeline submit NAME --overlay ENV [--dry-run]`."""

from __future__ import annotations

import os

import click


@click.command()
@click.argument("name")
@click.option("--overlay", required=True, help="Overlay under manifests/NAME/overlays/.")
@click.option("--dry-run", is_flag=True, help="Print the built manifests instead of submitting.")
@click.option(
    "-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Workflow parameter."
)
@click.option("--namespace", default=None, help="Default: the overlay's namespace.")
def command(
    name: str, overlay: str, dry_run: bool, params: tuple[str, ...], namespace: str | None
) -> None:
    """Submit the pipeline's Argo workflow to ARGO_SERVER (token from ARGO_TOKEN)."""
    from workbench.core.settings import settings
    from workbench.emit.argo import submit as argo
    from workbench.spec.model import load_spec

    folder = argo.overlay_dir(settings().manifests_dir, name, overlay)
    if dry_run:
        text, note = argo.render_overlay(folder)
        click.echo(f"# {note}", err=True)
        click.echo(text, nl=False)
        return
    parameters: dict[str, str] = {}
    if params:  # checked and spelled as the local runner does (workbench.spec.params)
        spec = load_spec(settings().steps_dir / name / "pipeline.json")
        parameters = argo.submit_parameters(spec, params)
    server = argo.ArgoServer.from_env(os.environ)
    ns = namespace or argo.overlay_namespace(folder)
    created = argo.submit(name, namespace=ns, server=server, parameters=parameters)
    click.echo(f"submitted {created} in namespace {ns} to {server.url}")
