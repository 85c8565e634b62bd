"""The pipeline a notebook compiles to, as the JSON the side panel draws (a pure pass).

The compiler runs in-process and writes nothing: steps with the names passing between them,
parameters, every diagnostic with its cell, each cell's role (so an untagged cell shows the
step it silently joins), and whether the generated `steps/` still match the notebook.
A notebook that does not compile is an answer too: `ok` false and its diagnostics.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from workbench.compiler import CompileError, Diagnostic, compile_notebook, notebook_label
from workbench.compiler.diagnostics import Diagnostics
from workbench.compiler.parse import (
    AFTER_PREFIXES,
    KALE_SETTINGS,
    QUIET_TAGS,
    ROLE_TAGS,
    STEP_PREFIXES,
    parse_notebook,
)
from workbench.core.errors import WorkbenchError
from workbench.lab.stale import steps_staleness
from workbench.spec.model import PipelineSpec


def tag_vocabulary() -> dict[str, list[str]]:
    """The tags the compiler understands, from the parser's own tables (Kale's included)."""
    return {
        "roles": sorted(ROLE_TAGS),
        "step_prefixes": list(STEP_PREFIXES),
        "after_prefixes": list(AFTER_PREFIXES),
        "quiet": sorted(QUIET_TAGS),
        "kale_settings": list(KALE_SETTINGS),
    }


def analyse_notebook(path: Path, root: Path) -> dict[str, Any]:
    """Everything the panel shows about `path` (inside project `root`); never raises for a
    broken notebook: its problems are the `diagnostics`."""
    label = notebook_label(path, root)
    answer: dict[str, Any] = {
        "notebook": label,
        "ok": False,
        "pipeline": path.stem,
        "steps": [],
        "parameters": [],
        "edges": [],
        "cells": _cells(path, label),
        "diagnostics": [],
        "stale": None,
        "vocabulary": tag_vocabulary(),
    }
    try:
        spec, notes = compile_notebook(path, root=root)
    except CompileError as exc:
        answer["diagnostics"] = [_diagnostic(d) for d in exc.diagnostics]
        return answer
    except WorkbenchError as exc:  # a configuration problem, not a cell's
        answer["diagnostics"] = [_diagnostic(Diagnostic("error", label, str(exc)))]
        return answer
    answer.update(_pipeline(spec))
    answer["ok"] = True
    answer["diagnostics"] = [_diagnostic(d) for d in notes]
    answer["stale"] = steps_staleness(path, root, spec.name)
    return answer


def _pipeline(spec: PipelineSpec) -> dict[str, Any]:
    steps = [
        {
            "name": step.name,
            "cells": [{"index": c.index, "id": c.id} for c in step.cells],
            "inputs": [
                {"name": name, "from": step.input_sources.get(name, "")} for name in step.inputs
            ],
            "outputs": list(step.outputs),
            "params": list(step.params),
            "after": list(step.after),
            "depends_on": list(step.depends_on),
            "models": list(step.models),
        }
        for step in spec.steps
    ]
    parameters = [
        {"name": p.name, "type": p.type, "default": p.text, "cell": p.cell} for p in spec.parameters
    ]
    return {
        "pipeline": spec.name,
        "steps": steps,
        "parameters": parameters,
        "edges": [list(edge) for edge in spec.edges],
    }


def _cells(path: Path, label: str) -> list[dict[str, Any]]:
    """Each code cell's role and step as the parser sees them (empty if it cannot read it)."""
    doc = parse_notebook(path, label, Diagnostics(label))
    if doc is None:
        return []
    return [
        {"index": c.index, "id": c.id, "role": c.role, "step": c.step, "tags": list(c.tags)}
        for c in doc.cells
    ]


def _diagnostic(diag: Diagnostic) -> dict[str, Any]:
    return asdict(diag)


def failure(path: Path, root: Path, exc: Exception) -> dict[str, Any]:
    """The answer when the compiler itself failed on this notebook: said, not a 500."""
    label = notebook_label(path, root)
    message = f"the compiler failed on this notebook ({type(exc).__name__}: {exc})"
    return {
        "notebook": label,
        "ok": False,
        "pipeline": path.stem,
        "steps": [],
        "parameters": [],
        "edges": [],
        "cells": [],
        "diagnostics": [_diagnostic(Diagnostic("error", label, message))],
        "stale": None,
        "vocabulary": tag_vocabulary(),
    }
