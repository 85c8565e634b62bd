"""`workbench deploy OVERLAY --model NAME`: the pipeline's last task, and a local command."""

from __future__ import annotations

import click

from workbench.core.errors import ConfigError


def _candidate(value: int | None, artifact: str | None) -> int | None:
    """--candidate, or the pipeline's `model_version` output artifact (a folder or URI)."""
    if artifact is None:
        return value
    from workbench.core.errors import ArtifactError
    from workbench.runtime.artifacts import read_value

    try:
        read = read_value(artifact)
    except (ArtifactError, OSError) as exc:
        raise ConfigError(f"--candidate-from {artifact}: {exc}") from exc
    if isinstance(read, bool) or not isinstance(read, int | str) or not str(read).isdigit():
        raise ConfigError(f"--candidate-from {artifact}: expected a model version, got {read!r}")
    return int(read)


@click.command("deploy")
@click.argument("overlay")
@click.option("--model", required=True, help="Registered model name.")
@click.option("--version", type=click.IntRange(1), help="Pin this version (no registry lookup).")
@click.option(
    "--candidate",
    type=click.IntRange(1),
    help="The version this run registered: deploy only if it holds champion.",
)
@click.option(
    "--candidate-from",
    metavar="ARTIFACT",
    help="Read --candidate from a pipeline output artifact (folder or URI).",
)
@click.option("--repo", help="GitOps repository URL: clone, commit, push (else edit in place).")
@click.option("--branch", default="main", show_default=True)
@click.option("--author", default="workbench deploy", show_default=True, help="Commit author.")
@click.option("--email", default="deploy@workbench.invalid", show_default=True)
def command(
    overlay: str,
    model: str,
    version: int | None,
    candidate: int | None,
    candidate_from: str | None,
    repo: str | None,
    branch: str,
    author: str,
    email: str,
) -> None:
    """Point OVERLAY (a serving overlay folder) at the version of MODEL that holds champion.

    Nothing changes when the overlay already serves it, or when --candidate did not take
    champion. With --repo, OVERLAY is a path inside that repository and the change is pushed as
    one commit; credentials come from GIT_USERNAME / GIT_PASSWORD (or GIT_SSH_COMMAND).
    """
    from workbench.deploy import Author, deploy

    if version is not None and (candidate is not None or candidate_from is not None):
        raise ConfigError("--version pins by hand; it cannot be combined with --candidate")
    if candidate is not None and candidate_from is not None:
        raise ConfigError("give --candidate or --candidate-from, not both")
    result = deploy(
        overlay,
        model,
        version=version,
        candidate=_candidate(candidate, candidate_from),
        repo=repo,
        branch=branch,
        author=Author(author, email),
    )
    click.echo(("deployed: " if result.changed else "no change: ") + result.message)
