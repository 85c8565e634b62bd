"""The productionize compiler: a tagged notebook -> PipelineSpec, or every problem at once.

parse (nbformat: cells, tags, roles) -> blocks (IPython -> ast, name usage)
-> analyse (parameters, helpers, data flow, graph) -> PipelineSpec
"""

from __future__ import annotations

import os
from pathlib import Path

from workbench.compiler.diagnostics import CompileError, Diagnostic, Diagnostics
from workbench.spec.model import PipelineSpec

__all__ = ["CompileError", "Diagnostic", "compile_notebook", "notebook_label", "pipeline_name"]


def notebook_label(path: Path, root: Path) -> str:
    """The notebook path as generated files name it: project-root relative, POSIX, no `..` when
    the notebook is inside the project."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()


def pipeline_name(path: Path, name: str | None) -> str:
    from workbench.compiler.parse import NAME_RE

    chosen = name if name is not None else path.stem
    if not NAME_RE.fullmatch(chosen) or chosen in ("steps", "tests"):
        source = "--name" if name is not None else f"the notebook file name {path.name!r}"
        raise CompileError(
            [
                Diagnostic(
                    "error",
                    str(path),
                    f"pipeline name {chosen!r} (from {source}) is not a valid name",
                    hint="names match [a-z_][a-z0-9_]*: pass --name NAME",
                )
            ]
        )
    return chosen


def compile_notebook(
    path: Path, *, root: Path, name: str | None = None
) -> tuple[PipelineSpec, list[Diagnostic]]:
    """(spec without digests, warnings and notes). Raises CompileError listing every error."""
    from workbench.compiler.analyse import analyse
    from workbench.compiler.parse import parse_notebook

    label = notebook_label(path, root)
    chosen = pipeline_name(path, name)
    diags = Diagnostics(label)
    doc = parse_notebook(path, label, diags)
    spec = analyse(doc, chosen, diags) if doc is not None else None
    diags.raise_if_errors()
    assert spec is not None  # analyse returns None only after recording an error
    return spec, [d for d in diags.items if d.severity != "error"]
