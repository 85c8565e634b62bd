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
    import keyword

    from workbench.compiler.parse import NAME_RE

    chosen = name if name is not None else path.stem
    source = "--name" if name is not None else f"the notebook file name {path.name!r}"
    problem = ""
    if not NAME_RE.fullmatch(chosen) or chosen in ("steps", "tests"):
        problem = "is not a valid name"
    elif keyword.iskeyword(chosen) or keyword.issoftkeyword(chosen):
        problem = "is a Python keyword, which cannot name the package steps." + chosen
    if problem:
        raise CompileError(
            [
                Diagnostic(
                    "error",
                    str(path),
                    f"pipeline name {chosen!r} (from {source}) {problem}",
                    hint="names match [a-z_][a-z0-9_]* and are not Python keywords: "
                    "pass --name NAME (e.g. --name " + _suggest(chosen) + ")",
                )
            ]
        )
    return chosen


def _suggest(chosen: str) -> str:
    import keyword
    import re

    cleaned = re.sub(r"[^a-z0-9_]+", "_", chosen.lower()).strip("_") or "pipeline"
    if cleaned[0].isdigit():
        cleaned = "nb_" + cleaned
    if keyword.iskeyword(cleaned) or keyword.issoftkeyword(cleaned):
        return cleaned + "_pipeline"
    return cleaned + "_pipeline" if cleaned in ("steps", "tests") else cleaned


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
    if diags.errors:  # one root cause, one message: no analysis of a notebook read wrongly
        diags.raise_if_errors()
    spec = analyse(doc, chosen, diags, path.resolve().parent) if doc is not None else None
    diags.raise_if_errors()
    assert spec is not None  # analyse returns None only after recording an error
    return spec, [d for d in diags.items if d.severity != "error"]
