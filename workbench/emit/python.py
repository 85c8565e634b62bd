"""Emit the pipeline package: steps/NAME/__init__.py, one module per step, _helpers.py and the
spec (pipeline.json). Each step module is a plain typed function holding the step's cells (with
`# %% cell N` markers), returning a NamedTuple of its outputs, plus the `python -m
steps.NAME.STEP` entry point from workbench.runtime. workbench.emit.build_files then formats
every generated module with ruff (workbench.emit.pyformat)."""

from __future__ import annotations

import ast
import posixpath
import textwrap

from workbench.emit.context import EmitContext
from workbench.emit.pysource import (
    WIDTH,
    class_name,
    indent_code,
    py_literal,
    render_imports,
    wrap_call,
)
from workbench.spec.model import PipelineSpec, StepSpec, WrittenModule
from workbench.spec.params import param_type


def _bound_in_body(step: StepSpec) -> set[str]:
    """Names the step's code binds anywhere (over-approximated; used to keep globals safe)."""
    names: set[str] = set()
    for source in [*step.prelude, *(cell.source for cell in step.cells)]:
        for node in ast.walk(ast.parse(source)):
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


def _wrapped(text: str) -> list[str]:
    """A docstring paragraph within the line length (the formatter leaves docstrings as they are)."""
    return textwrap.wrap(text, WIDTH, break_long_words=False, break_on_hyphens=False) or [""]


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
        *_wrapped(f"Inputs: {sources}."),
        *_wrapped(f"Outputs: {', '.join(step.outputs) or 'none'}."),
        *_wrapped(f"Parameters: {', '.join(step.params) or 'none'}."),
        *_shipped_line(spec),
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
    if step.prelude:
        lines.append(
            "    # %% workbench: the state earlier cells left (library settings replayed,"
            " containers rebuilt)"
        )
        for statement in step.prelude:
            lines.extend(indent_code(statement))
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
        f"    from steps.{spec.name} import NOTEBOOK_DIR",
        "    from workbench.runtime.step import main_guard, run_step",
        "",
        "    main_guard(",
        "        run_step(",
        f"            {step.name},",
        wrap_call("inputs=[", [f'"{n}"' for n in step.inputs], "],", "            "),
        wrap_call("outputs=[", [f'"{n}"' for n in step.outputs], "],", "            "),
        wrap_call("params={", param_types, "},", "            "),
        "            workdir=NOTEBOOK_DIR,",
        "        )",
        "    )",
    ]
    return "\n".join(lines) + "\n"


def _shipped_line(spec: PipelineSpec) -> list[str]:
    """The notebook-written modules and their digests, in every step's docstring: an edited
    `%%writefile` cell changes the step modules' text, so their cache keys (code digests)."""
    if not spec.written_modules:
        return []
    parts = [
        f"{m.path} (cell {', '.join(map(str, m.cells))}, sha256 {_sha(m.source)[:16]})"
        for m in spec.written_modules
    ]
    return [
        "",
        *_wrapped(
            f"Modules the notebook writes (steps/{spec.name}/_modules): " + "; ".join(parts) + "."
        ),
    ]


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def render_written(spec: PipelineSpec, module: WrittenModule, ctx: EmitContext) -> str:
    """steps/NAME/_modules/PATH: the text the notebook's `%%writefile` cells write, with where
    it came from."""
    cells = ", ".join(str(c) for c in module.cells)
    who = f"cells {cells} write" if len(module.cells) > 1 else f"cell {cells} writes"
    return (
        ctx.header() + f"# The notebook's {who} this module (`%%writefile {module.path}`) beside\n"
        "# the notebook; shipped here because where the notebook never ran (the image, a clean\n"
        "# checkout) nothing writes it. The pipeline package puts this folder first on sys.path.\n"
        + module.source
    )


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


def render_package(spec: PipelineSpec, ctx: EmitContext) -> str:
    """steps/NAME/__init__.py: where the notebook's folder is, on sys.path before any step
    module imports (a module beside the notebook imports as in the notebook)."""
    folder = posixpath.dirname(spec.notebook) or "."
    steps = ", ".join(s.name for s in spec.steps)
    return (
        ctx.header() + f'"""Pipeline `{spec.name}`: one module per step ({steps}).\n\n'
        "Steps run in the notebook's folder, as JupyterLab and papermill run the notebook.\n"
        '"""\n\n'
        + (
            "from workbench.runtime.workdir import notebook_dir, shipped_modules\n\n"
            if spec.written_modules
            else "from workbench.runtime.workdir import notebook_dir\n\n"
        )
        + f"NOTEBOOK_DIR = notebook_dir(__file__, {py_literal(folder)})\n"
        + (
            "# modules the notebook's %%writefile cells write, first on sys.path\n"
            "MODULES_DIR = shipped_modules(__file__)\n"
            if spec.written_modules
            else ""
        )
    )


def emit_python(spec: PipelineSpec, ctx: EmitContext) -> dict[str, str]:
    base = f"steps/{spec.name}"
    files = {
        "steps/__init__.py": '"""Pipelines compiled by `workbench productionize`, one package each."""\n',
        f"{base}/__init__.py": render_package(spec, ctx),
        f"{base}/pipeline.json": spec.to_json(),
    }
    for step in spec.steps:
        files[f"{base}/{step.name}.py"] = render_step(spec, step, ctx)
    if spec.helpers_module:
        files[f"{base}/_helpers.py"] = render_helpers(spec, ctx)
    for module in spec.written_modules:
        files[f"{base}/_modules/{module.path}"] = render_written(spec, module, ctx)
    return files
