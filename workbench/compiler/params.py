"""The `parameters` cell: literal assignments become typed pipeline parameters."""

from __future__ import annotations

import ast
from typing import Any

from workbench.compiler.blocks import Prepared
from workbench.compiler.diagnostics import Diagnostics
from workbench.spec.model import ParamSpec

HINT = (
    "a parameters cell holds only `name = literal` lines (numbers, strings, booleans, None, "
    "lists, dicts), so papermill and the pipeline can override them; compute derived values in "
    "a step"
)


def type_of(value: Any) -> str | None:
    for kind, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if type(value) is kind:
            return name
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "dict"
    if value is None:
        return "none"
    return None


def collect_params(cells: list[Prepared], diags: Diagnostics) -> dict[str, ParamSpec]:
    params: dict[str, ParamSpec] = {}
    for prepared in cells:
        for stmt in prepared.tree.body:
            target: ast.expr | None = None
            value: ast.expr | None = None
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target, value = stmt.targets[0], stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                target, value = stmt.target, stmt.value
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # a docstring or bare string is harmless
            if not isinstance(target, ast.Name) or value is None:
                diags.error(
                    "only `name = literal` assignments belong in a parameters cell",
                    **prepared.where(stmt.lineno),
                    hint=HINT,
                )
                continue
            try:
                default = ast.literal_eval(value)
            except ValueError:
                diags.error(
                    f"parameter {target.id!r} is not a literal",
                    **prepared.where(stmt.lineno),
                    name=target.id,
                    hint=HINT,
                )
                continue
            if isinstance(default, tuple):
                default = list(default)
            kind = type_of(default)
            if kind is None:
                diags.error(
                    f"parameter {target.id!r} has a {type(default).__name__} default",
                    **prepared.where(stmt.lineno),
                    name=target.id,
                    hint=HINT,
                )
                continue
            params[target.id] = ParamSpec(target.id, kind, default, prepared.cell.index)
    return params
