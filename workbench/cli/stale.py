"""The stale-steps line of `pipeline run` and `pipeline submit` (workbench.verify.staleness)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

REFUSED_EXIT = 2


def _to_stderr(line: str) -> None:
    click.echo(line, err=True)


def warn_if_stale(
    name: str, *, refuse: bool, steps_only: bool, echo: Callable[[str], None] = _to_stderr
) -> None:
    """Say, naming the notebook, when the generated files are not what the notebook compiles to
    now; with `refuse`, exit 2 before anything runs or is submitted. `echo` prints a line (a
    live display's console, so that the line does not tear its redraw)."""
    from workbench.core.settings import settings
    from workbench.verify.staleness import safe_pipeline_staleness

    report = safe_pipeline_staleness(settings().root, name, steps_only=steps_only)
    message = report.message()
    if not message:
        return
    if report.stale and refuse:
        echo(f"error: {message}")
        sys.exit(REFUSED_EXIT)
    hint = " (--refuse-stale makes this an error)" if report.stale else ""
    echo(f"warning: {message}{hint}")
