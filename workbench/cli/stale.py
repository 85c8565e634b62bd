"""The stale-steps line of `pipeline run` and `pipeline submit` (workbench.verify.staleness)."""

from __future__ import annotations

import sys

import click

REFUSED_EXIT = 2


def warn_if_stale(name: str, *, refuse: bool, steps_only: bool) -> None:
    """Say, naming the notebook, when the generated files are not what the notebook compiles to
    now; with `refuse`, exit 2 before anything runs or is submitted."""
    from workbench.core.settings import settings
    from workbench.verify.staleness import safe_pipeline_staleness

    report = safe_pipeline_staleness(settings().root, name, steps_only=steps_only)
    message = report.message()
    if not message:
        return
    if report.stale and refuse:
        click.echo(f"error: {message}", err=True)
        sys.exit(REFUSED_EXIT)
    hint = " (--refuse-stale makes this an error)" if report.stale else ""
    click.echo(f"warning: {message}{hint}", err=True)
