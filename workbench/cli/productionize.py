"""`workbench productionize NOTEBOOK [--name NAME] [--record] [--verify] [--check]`.

`productionize()` is the one call: compile (workbench.compiler) -> emit every registered
emitter (workbench.emit) -> write atomically, or diff for --check (the CI drift check).
--verify / --record execute the notebook and the pipeline and store the verdict
(workbench.verify) in pipeline.json.
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
    messages: tuple[str, ...] = ()


def productionize(
    notebook: Path,
    *,
    name: str | None = None,
    record: bool = False,
    check: bool = False,
    verify: bool = False,
    root: Path | None = None,
    targets: tuple[str, ...] | None = None,
) -> Outcome:
    """Compile `notebook` and write (or, with `check`, compare) every generated file; with
    `verify` (implied by `record`) also prove the pipeline against the notebook's execution."""
    from dataclasses import replace

    from workbench.core.errors import WorkbenchError
    from workbench.core.settings import find_project_root
    from workbench.emit import build_files, selected
    from workbench.emit.write import write_outputs
    from workbench.verify.staleness import drift, prepare
    from workbench.verify.verdict import staleness

    if (record or verify) and check:
        raise WorkbenchError(
            "--record/--verify and --check exclude each other: --check writes nothing"
        )
    root = root or find_project_root()
    prepared = prepare(notebook, root, name)
    for note in prepared.notes:
        click.echo(note.render(), err=True)
    # the last verdict travels with every compile: its runtime outputs stay re-emitted
    spec, ctx, previous = prepared.spec, prepared.ctx, prepared.previous
    emitters = selected(targets)
    if check:
        # the same comparison `pipeline run` / `submit` and the extension make (verify.staleness)
        spec, files, diff = drift(prepared, root, emitters)
        stale = staleness(previous, notebook, spec.notebook)
        messages = (stale,) if stale else ()
        return Outcome(1 if diff or (stale and previous) else 0, files, diff, messages)
    if not (record or verify):
        spec, files = build_files(spec, ctx, emitters)
        write_outputs(root, files, spec.name)
        return Outcome(0, files)
    from workbench.verify.run import check_chain
    from workbench.verify.run import record as record_run

    with tempfile.TemporaryDirectory(prefix="wb-verify-") as temp:
        recorded = record_run(notebook, spec, Path(temp), root)
        for line in recorded.findings.notes:
            click.echo(f"{spec.notebook}: note: {line}", err=True)
        for item in recorded.findings.outputs:
            click.echo(
                f"{spec.notebook}: note: cell {item.cell} (step {item.step}) changes "
                f"{item.name} in place and step {item.reader} reads it: now an output of "
                f"{item.step}",
                err=True,
            )
        spec, files = build_files(recorded.spec, ctx, emitters)
        fixtures = recorded.folder / "fixtures" if record else None
        write_outputs(root, files, spec.name, fixtures=fixtures)
        outcome = check_chain(notebook, recorded, Path(temp))
    spec, files = build_files(replace(spec, verification=outcome.verdict), ctx, emitters)
    write_outputs(root, files, spec.name)
    return Outcome(0 if outcome.ok else 1, files, messages=tuple(outcome.messages))


@click.command()
@click.argument("notebook", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", default=None, help="Pipeline name (default: the notebook's file stem).")
@click.option(
    "--record", is_flag=True, help="Run the notebook once, record test fixtures and verify."
)
@click.option(
    "--verify",
    is_flag=True,
    help="Run the notebook and the pipeline chained; exit 1 naming every divergence.",
)
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
    notebook: Path,
    name: str | None,
    record: bool,
    verify: bool,
    check: bool,
    targets: tuple[str, ...],
) -> None:
    """Compile a tagged notebook into steps, tests and manifests."""
    outcome = productionize(
        notebook, name=name, record=record, check=check, verify=verify, targets=targets or None
    )
    for message in outcome.messages:
        click.echo(message, err=True)
    if check:
        if outcome.diff:
            click.echo(outcome.diff, nl=False)
            click.echo(f"generated files differ from {notebook}: run without --check", err=True)
        elif outcome.exit_code:
            pass  # the stale verification, said above
        else:
            click.echo(f"up to date: {len(outcome.files)} files", err=True)
        sys.exit(outcome.exit_code)
    click.echo(f"wrote {len(outcome.files)} files from {notebook}", err=True)
    if record or verify:
        if outcome.exit_code:
            click.echo(f"--verify: the pipeline differs from {notebook} (see above)", err=True)
            sys.exit(outcome.exit_code)
        click.echo(f"verified: every step's outputs equal {notebook}'s values", err=True)
