"""`workbench productionize NOTEBOOK [--name NAME] [--record] [--check]`.

`productionize()` is the one call: compile (workbench.compiler) -> emit every registered
emitter (workbench.emit) -> write atomically, or diff for --check (the CI drift check).
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    files: dict[str, str]
    diff: str = ""


def productionize(
    notebook: Path,
    *,
    name: str | None = None,
    record: bool = False,
    check: bool = False,
    root: Path | None = None,
    targets: tuple[str, ...] | None = None,
) -> Outcome:
    """Compile `notebook` and write (or, with `check`, compare) every generated file."""
    from workbench.compiler import compile_notebook
    from workbench.compiler.environment import notebook_runtime_packages
    from workbench.core.errors import WorkbenchError
    from workbench.core.settings import find_project_root
    from workbench.emit import EmitContext, build_files, selected
    from workbench.emit.write import diff_outputs, write_outputs

    if record and check:
        raise WorkbenchError("--record and --check exclude each other: --check writes nothing")
    root = root or find_project_root()
    spec, notes = compile_notebook(notebook, root=root, name=name)
    for note in notes:
        click.echo(note.render(), err=True)
    pins = tuple(notebook_runtime_packages().items())
    emitters = selected(targets)
    spec, files = build_files(spec, EmitContext(spec.notebook, spec.name, pins), emitters)
    if check:
        diff = diff_outputs(root, files, spec.name)
        return Outcome(1 if diff else 0, files, diff)
    if record:
        from workbench.compiler.record import record_notebook

        with tempfile.TemporaryDirectory(prefix="wb-fixtures-") as temp:
            record_notebook(notebook, spec, Path(temp) / "fixtures", root=root)
            write_outputs(root, files, spec.name, fixtures=Path(temp) / "fixtures")
    else:
        write_outputs(root, files, spec.name)
    return Outcome(0, files)


@click.command()
@click.argument("notebook", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", default=None, help="Pipeline name (default: the notebook's file stem).")
@click.option("--record", is_flag=True, help="Run the notebook once and record test fixtures.")
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 with a diff if generated files differ."
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NAME",
    help="Deployment target emitter(s) to run (default: all; `argo` today).",
)
def command(
    notebook: Path, name: str | None, record: bool, check: bool, targets: tuple[str, ...]
) -> None:
    """Compile a tagged notebook into steps, tests and manifests."""
    outcome = productionize(
        notebook, name=name, record=record, check=check, targets=targets or None
    )
    if check:
        if outcome.exit_code:
            click.echo(outcome.diff, nl=False)
            click.echo(f"generated files differ from {notebook}: run without --check", err=True)
        else:
            click.echo(f"up to date: {len(outcome.files)} files", err=True)
        sys.exit(outcome.exit_code)
    click.echo(f"wrote {len(outcome.files)} files from {notebook}", err=True)
