"""`workbench pipeline run|rehearse|submit|status|logs`: a lazy group, so each subcommand imports only what it needs."""

from __future__ import annotations

import click

from workbench.cli.main import LazyGroup

SUBCOMMANDS = {
    "run": ("pipeline_run", "Run steps/NAME/pipeline.json locally with the step cache."),
    "rehearse": (
        "pipeline_rehearse",
        "Run the built Argo manifests here as the cluster's pods would.",
    ),
    "submit": (
        "pipeline_submit",
        "Submit the pipeline's Argo workflow (or print it with --dry-run); --wait follows it.",
    ),
    "status": ("pipeline_status", "A submitted workflow's phase and each step's."),
    "logs": ("pipeline_logs", "The logs of a submitted workflow's steps."),
}


@click.group(cls=LazyGroup, lazy=SUBCOMMANDS)
def command() -> None:
    """Run or submit a productionized pipeline."""
