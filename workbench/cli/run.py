"""`workbench run NOTEBOOK`: papermill execution as one MLflow run (see workbench.execute.run)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("notebook", type=click.Path(path_type=Path))
@click.option(
    "-p",
    "--parameter",
    "values",
    nargs=2,
    multiple=True,
    metavar="NAME VALUE",
    help="Override a parameter; numbers, True/False/None are converted like papermill -p.",
)
@click.option(
    "-r",
    "--raw",
    "raw",
    nargs=2,
    multiple=True,
    metavar="NAME STRING",
    help="Override a parameter with a string kept as is ('007' stays '007').",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Executed notebook path (default: .workbench/runs/RUN_ID/NAME.ipynb).",
)
@click.option(
    "--cwd",
    type=click.Path(path_type=Path),
    default=None,
    help="Kernel working directory (default: the notebook's folder).",
)
@click.option(
    "--experiment",
    default=None,
    help="MLflow experiment (default: the notebook's `experiment` parameter, else its name).",
)
def command(
    notebook: Path,
    values: tuple[tuple[str, str], ...],
    raw: tuple[tuple[str, str], ...],
    output: Path | None,
    cwd: Path | None,
    experiment: str | None,
) -> None:
    """Execute a notebook with papermill as one tracked MLflow run."""
    from workbench.execute.lean import skip_slow_optional_imports

    skip_slow_optional_imports()
    from workbench.execute import parse_overrides, run_notebook

    result = run_notebook(
        notebook,
        parse_overrides(values, raw),
        output=output,
        cwd=cwd,
        experiment=experiment,
        announce=lambda line: click.echo(line, err=True),
    )
    click.echo(f"run {result.run_id} FINISHED (experiment {result.experiment!r})")
    click.echo(f"executed notebook: {result.output}")
    click.echo("browse runs: workbench ui")
