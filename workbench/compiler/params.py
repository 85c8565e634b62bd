"""The `parameters` cell: literal assignments become typed pipeline parameters.

The statement syntax and the types are the parameter model's (`workbench.spec.paramcell`,
`workbench.spec.params`), which `workbench run` reads too; this pass only turns its findings
into ParamSpecs and diagnostics.
"""

from __future__ import annotations

from workbench.compiler.blocks import Prepared
from workbench.compiler.diagnostics import Diagnostics
from workbench.spec.model import ParamSpec
from workbench.spec.paramcell import read_assignments

HINT = (
    "a parameters cell holds only `name = literal` lines (numbers, strings, booleans, None, "
    "lists, tuples, dicts), so papermill and the pipeline can override them; compute derived "
    "values in a step"
)


def collect_params(cells: list[Prepared], diags: Diagnostics) -> dict[str, ParamSpec]:
    params: dict[str, ParamSpec] = {}
    for prepared in cells:
        for found in read_assignments(prepared.tree, prepared.emitted):
            where = prepared.where(found.lineno)
            if not found.name:
                diags.error(
                    "only `name = literal` assignments belong in a parameters cell",
                    **where,
                    hint=HINT,
                )
            elif found.type is None:
                message = (
                    f"parameter {found.name!r} is not a literal"
                    if found.problem == "not a literal"
                    else f"parameter {found.name!r} {found.problem}"
                )
                diags.error(message, **where, name=found.name, hint=HINT)
            else:
                params[found.name] = ParamSpec(
                    found.name, found.type, found.value, prepared.cell.index
                )
    return params
