"""Are the generated steps still what the notebook compiles to? One answer for every caller.

`productionize --check` (the CI drift check), `pipeline run`, `pipeline submit` and the
JupyterLab extension all ask the same question the same way: compile the notebook named in
`steps/NAME/pipeline.json`, emit the files in memory and diff them against the disk. A notebook
edited after `productionize` (a tagged cell changed, a cell retagged) makes the diff non-empty.

    report = is_stale(project_root, "notebooks/train.ipynb")
    if report.stale:
        print(report.message())

`steps_only=True` (what `pipeline run` uses) compares only `steps/NAME/`, the files the local
runner executes, and skips the deployment targets' emitters (no hera import).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.compiler.diagnostics import Diagnostic
    from workbench.emit import EmitContext, Emitter
    from workbench.spec.model import PipelineSpec


@dataclass(frozen=True)
class Prepared:
    """A compiled notebook ready to emit: the spec with the last verdict, and its context."""

    spec: PipelineSpec
    ctx: EmitContext
    notes: tuple[Diagnostic, ...]
    previous: dict[str, Any]


@dataclass(frozen=True)
class StaleReport:
    """Whether steps/NAME/ still matches its notebook (the extension shows this as JSON)."""

    notebook: str  # project-relative, as pipeline.json names it
    pipeline: str
    stale: bool
    checked: bool = True  # False: the notebook could not be read, so nothing was compared
    changed: tuple[str, ...] = ()  # generated files that differ (project-relative)
    reason: str = ""
    diff: str = ""

    def message(self) -> str:
        """One line naming the notebook and what to do ("" when up to date)."""
        if not self.checked:
            return f"cannot tell whether steps/{self.pipeline}/ is stale: {self.reason}"
        if not self.stale:
            return ""
        shown = ", ".join(self.changed[:3]) + (" ..." if len(self.changed) > 3 else "")
        detail = f" ({shown})" if shown else f" ({self.reason})" if self.reason else ""
        return (
            f"the steps are stale: {self.notebook} changed after steps/{self.pipeline}/ was "
            f"generated{detail}; run `workbench productionize {self.notebook}`"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "pipeline": self.pipeline,
            "stale": self.stale,
            "checked": self.checked,
            "changed": list(self.changed),
            "reason": self.reason,
            "message": self.message(),
        }


def prepare(notebook: Path, root: Path, name: str | None = None) -> Prepared:
    """Compile `notebook`, carrying the last verification's runtime outputs and verdict."""
    from workbench.compiler import compile_notebook
    from workbench.compiler.environment import notebook_runtime_packages
    from workbench.emit import EmitContext
    from workbench.verify.mutation import apply_runtime_outputs
    from workbench.verify.verdict import previous_verification

    spec, notes = compile_notebook(notebook, root=root, name=name)
    previous = previous_verification(root, spec.name)
    spec = apply_runtime_outputs(spec, list(previous.get("runtime_outputs", [])))
    spec = replace(spec, verification=previous)
    ctx = EmitContext(spec.notebook, spec.name, tuple(notebook_runtime_packages().items()))
    return Prepared(spec, ctx, tuple(notes), previous)


def drift(
    prepared: Prepared, root: Path, emitters: list[Emitter], only: str | None = None
) -> tuple[PipelineSpec, dict[str, str], str]:
    """(completed spec, generated files, unified diff against the disk; "" when identical).

    `only`: compare just the files under this project-relative folder (e.g. `steps/NAME`).
    """
    from workbench.emit import build_files
    from workbench.emit.write import diff_outputs

    spec, files = build_files(prepared.spec, prepared.ctx, emitters)
    compared = files if only is None else {p: t for p, t in files.items() if p.startswith(only)}
    return spec, files, diff_outputs(root, compared, spec.name)


def _changed(diff: str) -> tuple[str, ...]:
    paths = []
    for line in diff.splitlines():
        if line.startswith(("--- a/", "+++ b/")):
            paths.append(line[6:])
    return tuple(dict.fromkeys(paths))


def is_stale(
    project: Path,
    notebook: Path | str,
    *,
    name: str | None = None,
    steps_only: bool = False,
) -> StaleReport:
    """Compare what `notebook` compiles to now with the generated files on disk."""
    from workbench.compiler import notebook_label, pipeline_name
    from workbench.core.errors import WorkbenchError
    from workbench.emit import selected, steps_emitters

    path = Path(notebook) if Path(notebook).is_absolute() else project / notebook
    label = notebook_label(path, project)
    pipeline = name or path.stem
    if not path.is_file():
        return StaleReport(label, pipeline, False, checked=False, reason=f"{label} not found")
    try:
        pipeline = pipeline_name(path, name)
        prepared = prepare(path, project, name)
    except WorkbenchError as exc:
        # an edited notebook that no longer compiles: the steps certainly are not its pipeline
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return StaleReport(label, pipeline, True, reason=f"it does not compile: {first}")
    # steps only: the emitters of steps/NAME/ alone, so the manifests' (hera) are not imported
    emitters = steps_emitters(prepared.spec.name) if steps_only else selected(None)
    only = f"steps/{prepared.spec.name}/" if steps_only else None
    _, _, diff = drift(prepared, project, emitters, only)
    return StaleReport(label, prepared.spec.name, bool(diff), changed=_changed(diff), diff=diff)


def pipeline_staleness(project: Path, pipeline: str, *, steps_only: bool = False) -> StaleReport:
    """`is_stale` for the notebook that `steps/PIPELINE/pipeline.json` was compiled from."""
    from workbench.spec.model import load_spec

    spec = load_spec(project / "steps" / pipeline / "pipeline.json")
    return is_stale(project, spec.notebook, name=pipeline, steps_only=steps_only)


def safe_pipeline_staleness(project: Path, pipeline: str, *, steps_only: bool) -> StaleReport:
    """`pipeline_staleness` that never breaks the command asking: an unexpected failure of the
    check itself is reported as "cannot tell", with the error."""
    try:
        return pipeline_staleness(project, pipeline, steps_only=steps_only)
    except Exception as exc:  # the check is advice; the run or submit decides on its own
        return StaleReport(
            "", pipeline, False, checked=False, reason=f"{type(exc).__name__}: {exc}"
        )
