"""`workbench demo-data`: write the example raw dataset."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data folder (default: the project's data folder).",
)
def command(out: Path | None) -> None:
    """Write the example raw dataset into the data folder."""
    from workbench.core.settings import settings
    from workbench.demo import write_demo_data

    path = write_demo_data(out or settings().data_dir)
    click.echo(f"wrote {path}")
