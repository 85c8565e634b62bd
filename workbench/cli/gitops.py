"""`workbench gitops init`: write the project's delivery platform under manifests/platform/."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.core.errors import WorkbenchError


@click.group(name="gitops")
def command() -> None:
    """GitOps delivery: Argo Events -> CI -> Argo CD, Crossplane buckets."""


@command.command(name="init")
@click.option("--repo", "repo_url", required=True, help="The project's GitHub repository URL.")
@click.option("--name", default=None, help="Project name (default: the project folder's).")
@click.option(
    "--branch", default="main", show_default=True, help="Branch whose pushes and PRs run CI."
)
@click.option(
    "--gitops-branch", default="main", show_default=True, help="Branch Argo CD deploys from."
)
@click.option("--region", default="eu-west-1", show_default=True, help="AWS region of the buckets.")
@click.option("--check", is_flag=True, help="Only report differences; exit 1 if any.")
def init(
    repo_url: str, name: str | None, branch: str, gitops_branch: str, region: str, check: bool
) -> None:
    """Write manifests/platform/ (events/, argocd/, infrastructure/) for the pipelines already
    productionized under manifests/. Secrets are referenced by name, never written."""
    from workbench.core.settings import find_project_root
    from workbench.emit import build_platform
    from workbench.emit.gitops.project import (
        PLATFORM_DIR,
        PlatformSpec,
        discover,
        parse_github,
        project_name,
        read_ci_scripts,
    )
    from workbench.emit.write import diff_outputs, write_outputs

    root = find_project_root()
    owner, repo = parse_github(repo_url)
    spec = PlatformSpec(
        project=project_name(root, name),
        repo_url=repo_url,
        github_owner=owner,
        github_repo=repo,
        pipelines=discover(root / "manifests"),
        main_branch=branch,
        gitops_branch=gitops_branch,
        region=region,
        ci_scripts=read_ci_scripts(root),
    )
    files = build_platform(spec)
    if check:
        diff = diff_outputs(root, files, PLATFORM_DIR)
        if diff:
            click.echo(diff, nl=False)
            raise WorkbenchError(f"manifests/{PLATFORM_DIR}/ is out of date; run gitops init")
        click.echo(f"manifests/{PLATFORM_DIR}/ is up to date")
        return
    write_outputs(root, files, PLATFORM_DIR)
    click.echo(f"wrote {len(files)} files under {Path('manifests') / PLATFORM_DIR}/")
