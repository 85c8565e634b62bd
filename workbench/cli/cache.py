"""`workbench cache ls|clear`: the local step cache (entries in the artifact store)."""

from __future__ import annotations

import click


@click.group()
def command() -> None:
    """List or clear the local step cache."""


@command.command("ls")
@click.option("--pipeline", default=None, help="Only this pipeline's entries.")
def ls(pipeline: str | None) -> None:
    """List cache entries: step, key, outputs, size, age."""
    from rich.console import Console
    from rich.table import Table

    from workbench.core.settings import settings
    from workbench.runner.housekeeping import human_age, human_size, list_cache
    from workbench.runner.store import ArtifactStore

    store = ArtifactStore(settings().artifact_store)
    rows = list_cache(store, pipeline)
    if not rows:
        click.echo(f"no cache entries in {store.root}")
        return
    table = Table(title=f"step cache in {store.root}")
    for column in ("pipeline", "step", "key", "outputs", "size", "age"):
        table.add_column(column)
    for row in rows:
        entry = row.entry
        outputs = ", ".join(sorted(entry.outputs)) if entry.complete else "(incomplete)"
        table.add_row(
            entry.pipeline,
            entry.step,
            entry.key[:12],
            outputs,
            human_size(row.size),
            human_age(row.age_seconds),
        )
    Console(width=200).print(table)


@command.command("clear")
@click.option(
    "--older-than", default=None, metavar="AGE", help="Only entries older than AGE (7d, 12h, 30m)."
)
@click.option("--pipeline", default=None, help="Only this pipeline's entries.")
def clear(older_than: str | None, pipeline: str | None) -> None:
    """Delete cache entries (all, or those older than AGE)."""
    from workbench.core.settings import settings
    from workbench.runner.housekeeping import clear_cache, parse_age
    from workbench.runner.store import ArtifactStore

    age = parse_age(older_than) if older_than else None
    store = ArtifactStore(settings().artifact_store)
    removed = clear_cache(store, older_than=age, pipeline=pipeline)
    click.echo(
        f"removed {len(removed)} cache entr{'y' if len(removed) == 1 else 'ies'} from {store.root}"
    )
