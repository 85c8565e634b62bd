"""`workbench pipeline run|submit`: a lazy group, so each subcommand imports only what it needs."""

from __future__ import annotations

import click

from workbench.cli.main import LazyGroup

SUBCOMMANDS = {
    "run": ("pipeline_run", "Run steps/NAME/pipeline.json locally with the step cache."),
    "submit": (
        "pipeline_submit",
        "Submit the pipeline's Argo workflow (or print it with --dry-run).",
    ),
}


@click.group(cls=LazyGroup, lazy=SUBCOMMANDS)
def command() -> None:
    """Run or submit a productionized pipeline."""
