"""`workbench init DIR`: scaffold a new project (see workbench.scaffold)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=None, help="Project name (default: the folder's name).")
@click.option(
    "--force", is_flag=True, help="Write into a non-empty folder, replacing same-named files."
)
def command(directory: Path, name: str | None, force: bool) -> None:
    """Scaffold a new workbench project in DIR."""
    from workbench.scaffold import scaffold_project

    paths = scaffold_project(directory, name, force=force)
    click.echo(f"created {len(paths)} files in {directory}")
    click.echo(f"next:  cd {directory} && make demo")
