"""Emit the pipeline package: steps/NAME/__init__.py, one module per step, _helpers.py and the
spec (pipeline.json). Each step module is a plain typed function holding the step's cells
verbatim (with `# %% cell N` markers), returning a NamedTuple of its outputs, plus the
`python -m steps.NAME.STEP` entry point from workbench.runtime."""

from __future__ import annotations

import ast

from workbench.emit.context import EmitContext
from workbench.emit.pysource import (
    class_name,
    indent_code,
    py_literal,
    render_imports,
    wrap_call,
)
from workbench.spec.model import PipelineSpec, StepSpec
from workbench.spec.params import param_type


def _bound_in_body(step: StepSpec) -> set[str]:
    """Names the step's code binds anywhere (over-approximated; used to keep globals safe)."""
    names: set[str] = set()
    for cell in step.cells:
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
    return names


def _bound_by(statement: str) -> str:
    node = ast.parse(statement).body[0]
    assert isinstance(node, ast.Import | ast.ImportFrom)
    alias = node.names[0]
    return alias.asname or (
        alias.name if isinstance(node, ast.ImportFrom) else alias.name.split(".")[0]
    )


def render_step(spec: PipelineSpec, step: StepSpec, ctx: EmitContext) -> str:
    outputs_class = class_name(step.name)
    rebound = _bound_in_body(step)
    # A global the step's code also rebinds would be a local everywhere in the function
    # (UnboundLocalError before the rebinding), so such imports move into the function.
    module_imports = [s for s in step.imports if _bound_by(s) not in rebound]
    local_imports = [s for s in step.imports if _bound_by(s) in rebound]
    helper_statements = [f"from {spec.helpers_module} import {h}" for h in step.helpers]
    module_helpers = [s for s in helper_statements if _bound_by(s) not in rebound]
    local_imports += [s for s in helper_statements if _bound_by(s) in rebound]
    params = {p.name: p for p in spec.parameters}
    cells = ", ".join(str(c.index) for c in step.cells)
    sources = ", ".join(f"{n} (from {step.input_sources[n]})" for n in step.inputs) or "none"
    lines = [
        ctx.header().rstrip("\n"),
        f'"""Pipeline `{spec.name}`, step `{step.name}`: notebook cells {cells}.',
        "",
        f"Inputs: {sources}.",
        f"Outputs: {', '.join(step.outputs) or 'none'}.",
        f"Parameters: {', '.join(step.params) or 'none'}.",
        '"""',
        "",
        *render_imports(["from typing import Any, NamedTuple", *module_imports, *module_helpers]),
        "",
        "",
        f"class {outputs_class}(NamedTuple):",
        f'    """What step `{step.name}` hands to later steps."""',
        "",
        *(f"    {name}: Any" for name in step.outputs),
        "",
        "",
    ]
    if not step.outputs:
        lines[-3:-2] = []
    args = [f"{name}: Any" for name in step.inputs]
    if step.params:
        args.append("*")
        for name in step.params:
            param = params[name]
            args.append(
                f"{name}: {param_type(param.type).annotation} = {py_literal(param.default)}"
            )
    lines.append(wrap_call(f"def {step.name}(", args, f") -> {outputs_class}:"))
    lines.append(f'    """Run the cells of step `{step.name}` as the notebook does."""')
    lines.extend(f"    {s}" for s in render_imports(local_imports))
    for cell in step.cells:
        lines.append(f"    # %% cell {cell.index}" + (f" (id {cell.id})" if cell.id else ""))
        lines.extend(indent_code(cell.source))
    values = [f"{name}={name}" for name in step.outputs]
    lines.append(
        wrap_call(f"    return {outputs_class}(", values, ")")
        if values
        else f"    return {outputs_class}()"
    )
    param_types = [f'"{n}": "{params[n].type}"' for n in step.params]
    lines += [
        "",
        "",
        'if __name__ == "__main__":',
        "    from workbench.runtime.step import main_guard, run_step",
        "",
        "    main_guard(",
        "        run_step(",
        f"            {step.name},",
        wrap_call("inputs=[", [f'"{n}"' for n in step.inputs], "],", "            "),
        wrap_call("outputs=[", [f'"{n}"' for n in step.outputs], "],", "            "),
        wrap_call("params={", param_types, "},", "            "),
        "        )",
        "    )",
    ]
    return "\n".join(lines) + "\n"


def render_helpers(spec: PipelineSpec, ctx: EmitContext) -> str:
    cells = ", ".join(str(c.index) for c in spec.helper_cells)
    lines = [
        ctx.header().rstrip("\n"),
        f'"""Helpers of pipeline `{spec.name}`: the notebook\'s `functions` cells ({cells})."""',
        "",
        *render_imports(list(spec.helper_imports)),
    ]
    for cell in spec.helper_cells:
        lines += ["", "", f"# %% cell {cell.index}" + (f" (id {cell.id})" if cell.id else "")]
        lines.append(cell.source.rstrip("\n"))
    return "\n".join(lines) + "\n"


def emit_python(spec: PipelineSpec, ctx: EmitContext) -> dict[str, str]:
    base = f"steps/{spec.name}"
    files = {
        "steps/__init__.py": '"""Pipelines compiled by `workbench productionize`, one package each."""\n',
        f"{base}/__init__.py": ctx.header()
        + f'"""Pipeline `{spec.name}`: one module per step ({", ".join(s.name for s in spec.steps)})."""\n',
        f"{base}/pipeline.json": spec.to_json(),
    }
    for step in spec.steps:
        files[f"{base}/{step.name}.py"] = render_step(spec, step, ctx)
    if spec.helpers_module:
        files[f"{base}/_helpers.py"] = render_helpers(spec, ctx)
    return files
