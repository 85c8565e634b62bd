"""The syntax of a parameters cell, shared by `productionize` and `workbench run`.

A parameters cell (tagged `parameters`, papermill's spelling, or `pipeline-parameters`, Kale's)
holds `name = literal` lines. `read_assignments` turns its statements into `Assignment`s: the
compiler reports the ones that are not literals as errors, `workbench run` keeps their source
text (papermill runs such notebooks, it only cannot type those parameters).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from workbench.spec.params import type_of

PARAMETER_TAGS = ("parameters", "pipeline-parameters")


@dataclass(frozen=True)
class Assignment:
    """One statement of a parameters cell. `problem` is empty for a typed literal default."""

    name: str  # "" when the statement assigns no single name
    lineno: int
    value: Any  # the literal; the source text when it is not one
    type: str | None  # the parameter type, None when the value is not a parameter literal
    problem: str = ""


def _target(stmt: ast.stmt) -> tuple[ast.expr | None, ast.expr | None]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        return stmt.targets[0], stmt.value
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        return stmt.target, stmt.value
    return None, None


def read_assignments(tree: ast.Module, source: str) -> list[Assignment]:
    """The parameter assignments of a parsed cell (docstrings and bare strings are skipped)."""
    out: list[Assignment] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        target, value = _target(stmt)
        if not isinstance(target, ast.Name) or value is None:
            out.append(Assignment("", stmt.lineno, None, None, "only `name = literal` assignments"))
            continue
        text = ast.get_source_segment(source, value) or ""
        try:
            default = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            out.append(Assignment(target.id, stmt.lineno, text, None, "not a literal"))
            continue
        kind = type_of(default)
        if kind is None:
            problem = f"has a {type(default).__name__} default"
            out.append(Assignment(target.id, stmt.lineno, default, None, problem))
            continue
        out.append(Assignment(target.id, stmt.lineno, default, kind))
    return out


def is_parameters_cell(tags: Any) -> bool:
    return any(str(t) in PARAMETER_TAGS for t in tags or ())
