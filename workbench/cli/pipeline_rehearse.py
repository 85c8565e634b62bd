"""`workbench pipeline rehearse NAME --overlay ENV [--template ...] [-p NAME=VALUE]...`."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("name")
@click.option("--overlay", required=True, help="Overlay under manifests/NAME/overlays/.")
@click.option(
    "--template",
    type=click.Choice(["steps", "notebook", "sweep", "tune", "cron"]),
    default="steps",
    show_default=True,
    help="Which workflow to rehearse.",
)
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE")
@click.option(
    "--secrets",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="YAML {secret: {key: value}} standing in for the cluster's Secrets (never commit it).",
)
@click.option(
    "--gitops-repo",
    metavar="PATH",
    default=None,
    help="Local bare git repository (path or file:// URL) the deploy task pushes to, in place "
    "of the repository the serving overlay's gitops ConfigMap names (default: a stand-in seeded "
    "with this project's serving overlay).",
)
@click.option(
    "--compare/--no-compare",
    default=True,
    show_default=True,
    help="Also run `workbench pipeline run` and compare cache keys and output digests.",
)
def command(
    name: str,
    overlay: str,
    template: str,
    params: tuple[str, ...],
    secrets: Path | None,
    gitops_repo: str | None,
    compare: bool,
) -> None:
    """Run the built manifests here as the cluster's pods would (non-root, image only)."""
    from workbench.core.errors import WorkbenchError
    from workbench.core.settings import settings
    from workbench.deploy.rehearse import rehearse

    given: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise WorkbenchError(f"-p {item!r}: expected NAME=VALUE")
        given[key] = value
    result = rehearse(
        settings().root,
        name,
        overlay,
        template=template,
        parameters=given,
        secrets_file=secrets,
        compare=compare,
        gitops_repo=gitops_repo,
    )
    for pod in result.pods:
        key = f" memo {pod.memo_key[:12]}" if pod.memo_key else ""
        click.echo(f"ok  {pod.task:<12} {pod.template:<18} {pod.seconds:6.1f}s{key}")
    models = ", ".join(f"{m} v{','.join(v)}" for m, v in sorted(result.registered.items()))
    click.echo(f"tracking: {result.runs} runs, registered: {models or 'none'}")
    remote = result.gitops
    if remote is not None:
        pushed = ", ".join(c[:12] for c in remote.commits) or "no commit"
        click.echo(f"gitops: {remote.bare} {remote.branch} ({remote.path}): {pushed}")
    click.echo(f"rehearsal folder: {result.workdir}")
    found = result.comparison
    if found is not None:
        for output in found.output_mismatches:
            click.echo(f"differs from the local run (new on every run, e.g. a run id?): {output}")
        for line in found.key_mismatches:
            click.echo(f"DIFFERENT  {line}", err=True)
        if found.key_mismatches:
            raise WorkbenchError(
                f"the rehearsal's keys differ from `workbench pipeline run {name}`"
            )
        click.echo(f"same cache-key rule as `workbench pipeline run {name}`")
