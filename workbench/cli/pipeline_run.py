"""`workbench pipeline run NAME`: run steps/NAME/pipeline.json locally with the step cache."""

from __future__ import annotations

import os
import sys

import click


@click.command()
@click.argument("name")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a pipeline parameter (parsed with its declared type).",
)
@click.option("--no-cache", is_flag=True, help="Run every step, ignoring cached outputs.")
@click.option(
    "--from",
    "from_step",
    metavar="STEP",
    help="Ignore the cache for STEP and every step downstream of it.",
)
@click.option(
    "--only",
    "only_step",
    metavar="STEP",
    help="Run just STEP, on the cached outputs of its upstream steps.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Steps run in parallel at most (default: the number of cores).",
)
@click.option(
    "--lineage",
    type=click.Choice(["background", "wait", "off"]),
    default="background",
    show_default=True,
    help="MLflow lineage: recorded by a background process, waited for, or not at all.",
)
@click.option(
    "--refuse-stale",
    is_flag=True,
    help="Exit 2 instead of warning when the notebook changed after productionize.",
)
@click.option(
    "--isolate",
    is_flag=True,
    help="Start every step as a fresh interpreter instead of forking it from the preloaded server.",
)
def command(
    name: str,
    params: tuple[str, ...],
    no_cache: bool,
    from_step: str | None,
    only_step: str | None,
    jobs: int | None,
    lineage: str,
    refuse_stale: bool,
    isolate: bool,
) -> None:
    """Run steps/NAME/pipeline.json locally with the step cache."""
    from rich.console import Console
    from rich.text import Text

    from workbench.cli.stale import warn_if_stale
    from workbench.core.settings import settings
    from workbench.runner import RunOptions, run_pipeline
    from workbench.runner.display import Progress, print_summary
    from workbench.spec.model import load_spec

    spec = load_spec(settings().steps_dir / name / "pipeline.json")
    console = Console(stderr=True)
    if refuse_stale:  # nothing may start before the answer
        warn_if_stale(name, refuse=True, steps_only=True)

    checked = refuse_stale  # checked above already

    def stale_warning() -> None:
        nonlocal checked
        if not checked:  # printed above the live step table, which redraws below it
            checked = True
            warn_if_stale(name, refuse=False, steps_only=True, echo=echo)

    def echo(line: str) -> None:
        # a Text, not markup=False: that option would reach the live table's own markup too
        console.print(Text(line), highlight=False, soft_wrap=True)

    progress = Progress([s.name for s in spec.steps], console)
    options = RunOptions(
        overrides=params,
        no_cache=no_cache,
        from_step=from_step,
        only_step=only_step,
        jobs=jobs or os.cpu_count(),
        lineage=lineage,
        isolate=isolate,
    )
    try:
        # the warning is checked while the first steps start: the check's ~0.2 s of imports
        # then overlaps the fork server's, instead of delaying every run
        result = run_pipeline(name, options, observer=progress, while_starting=stale_warning)
    except Exception:
        # refused before any step started (`-p` naming a parameter the notebook gained since
        # productionize, `--only` without cached inputs): the stale line may be the reason
        stale_warning()
        raise
    finally:
        progress.close()
    print_summary(result, console)
    if not result.ok:
        sys.exit(1)
