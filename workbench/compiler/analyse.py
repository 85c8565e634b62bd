"""Analyse: a parsed notebook -> PipelineSpec (without digests, which need the emitted code).

parse (cells, roles) -> blocks (ast, usage) -> parameters, helpers, data flow -> graph -> spec.
Every problem is recorded in Diagnostics; the caller raises them together.
"""

from __future__ import annotations

from pathlib import Path

from workbench.compiler import containers, effects
from workbench.compiler.blocks import Blocks, prepare
from workbench.compiler.checks import (
    check_skips_inside_steps,
    check_split_steps,
    check_star_imports,
    check_step_names,
    check_top_level_await,
    check_unordered,
    error_at,
    warn_dropped_statements,
)
from workbench.compiler.dataflow import Binding, Resolved, bindings, resolve
from workbench.compiler.diagnostics import Diagnostics
from workbench.compiler.environment import python_version, resolve_packages
from workbench.compiler.files import check_shared_files
from workbench.compiler.graph import topological_order
from workbench.compiler.names import ImportBinding, Ref, Usage
from workbench.compiler.params import collect_params
from workbench.compiler.parse import NotebookDoc
from workbench.compiler.written import module_imports, top_name, written_modules
from workbench.spec.model import CellSpec, ParamSpec, PipelineSpec, StepSpec

MODULE_GLOBALS = {"Any", "NamedTuple"}


def analyse(
    doc: NotebookDoc, name: str, diags: Diagnostics, folder: Path | None = None
) -> PipelineSpec | None:
    """The spec, or None when errors were recorded (they are all in `diags`). `folder` is the
    notebook's folder, where local modules the steps import are looked for."""
    if not doc.steps:
        diags.error(
            "no step tags: nothing to compile",
            hint="tag the first cell of each step `step:NAME` (or Kale's `block:NAME`)",
        )
        return None
    blocks = prepare(doc, diags)
    params = collect_params(blocks.params, diags)
    check_step_names(doc, blocks, diags)
    containers.propagate_mutations(blocks)
    _drop_scalar_guesses(blocks, params)
    table = bindings(blocks, set(params))
    helpers = _helper_names(blocks, table, diags)
    check_star_imports(blocks, diags)
    check_skips_inside_steps(blocks, diags)
    check_split_steps(blocks, diags)
    check_top_level_await(blocks, diags)
    effects.check_ipython_and_globals(blocks, diags)
    modules = {
        n for u in [*blocks.cell_usage.values(), *blocks.step_usage.values()] for n in u.imports
    }
    states = effects.global_state(blocks, modules)

    positions = {s: cells[0].cell.index for s, cells in blocks.steps.items() if cells}
    resolved: dict[str, Resolved] = {}
    preludes: dict[str, list[str]] = {}
    for step in doc.steps:
        if step not in positions:
            continue
        usage = blocks.step_usage[step]
        reads = {**usage.free_late_reads(), **usage.reads, **_maybe_bound(usage, table, step)}
        prelude = preludes[step] = []
        for state in states:
            if state.position < positions[step] and state.owner != step:
                prelude.append(state.text)
                for var, ref in state.reads.items():
                    reads.setdefault(var, ref)
        reads = _rebuild_containers(blocks, step, reads, positions[step], prelude, diags)
        resolved[step] = res = _resolve_each(reads, positions[step], table, step)
        for mutated, ref in usage.mutations.items():
            if mutated in res.params:
                error_at(
                    blocks,
                    diags,
                    ref,
                    f"step {step!r} changes parameter `{mutated}` in place",
                    name=mutated,
                    hint=f"copy it first (`{mutated} = list({mutated})`): parameters are "
                    "passed to every step unchanged",
                )
            elif mutated in res.helpers:
                error_at(
                    blocks,
                    diags,
                    ref,
                    f"step {step!r} changes helper `{mutated}` in place; other steps import "
                    "the unchanged helper",
                    name=mutated,
                    hint="copy it into a step variable first",
                )
    sinks = [p for p in blocks.other if p.cell.role == "metrics"]
    for prepared in sinks:
        usage = blocks.cell_usage[prepared.cell.index]
        resolved[f"#metrics{prepared.cell.index}"] = resolve(
            usage.reads, prepared.cell.index, table, ""
        )
    for reader, res in resolved.items():
        for var, ref, message, hint in res.problems:
            if _in_broken_cell(blocks, var):
                continue  # the cell that defines it did not parse: that error says it all
            prefix = f"step {reader!r}: " if not reader.startswith("#") else ""
            error_at(blocks, diags, ref, prefix + message, name=var, hint=hint)
        for var in sorted(set(res.imports) & MODULE_GLOBALS):
            binding = res.imports[var]
            if binding.module != "typing":
                diags.error(f"step {reader!r} imports `{var}`, a name the step module needs")
        if reader in positions:
            clash = ({*res.imports, *res.helpers}) & {reader}
            if clash:
                diags.error(
                    f"step {reader!r} uses an import or helper with the step's own name",
                    cell=positions[reader],
                    name=reader,
                    hint="rename the step (its module defines a function of that name)",
                )

    warn_dropped_statements(blocks, diags, {(s.ref.cell, s.ref.line) for s in states})
    effects.check_replayed_seeds(blocks, states, positions, diags)
    effects.check_stale_closures(blocks, resolved, table, positions, diags)
    effects.check_helper_state(blocks, resolved, positions, diags)
    edges = _edges(doc, blocks, resolved, positions, diags)
    order, stuck = topological_order([s for s in doc.steps if s in positions], edges)
    if stuck:
        cells = sorted(positions[s] for s in stuck)
        diags.error(
            f"the steps {', '.join(sorted(stuck))} wait for each other (a cycle of after:/prev: "
            "tags and data)",
            cell=cells[0],
            cell_id=blocks.cells[cells[0]].cell.id,
            hint="remove an after:/prev: tag so the steps have an order",
        )
        return None
    check_unordered(resolved, table, edges, blocks, diags)
    check_shared_files(blocks, edges, diags, params)
    outputs = _outputs(resolved)
    effects.check_generators(blocks, outputs, diags)
    for step, names in outputs.items():
        for var in sorted(names):
            if var.startswith("_"):
                ref = blocks.step_usage[step].writes.get(var) or Ref(positions[step], 1)
                error_at(
                    blocks,
                    diags,
                    ref,
                    f"`{var}` is passed from step {step!r} to a later step, but names starting "
                    "with _ cannot be step outputs",
                    name=var,
                    hint=f"rename `{var}` without the leading underscore",
                )
    if diags.errors:
        return None
    spec = _spec(
        doc, name, blocks, params, helpers, resolved, edges, order, outputs, table, diags, folder
    )
    return _with_extras(spec, preludes, folder)


def _drop_scalar_guesses(blocks: Blocks, params: dict[str, ParamSpec]) -> None:
    """A str, number or bool parameter cannot change in place: a method call on it that is not
    a known read-only one (`seed.bit_length()`) is not a mutation."""
    scalars = {n for n, p in params.items() if p.type not in ("list", "dict")}
    for usage in blocks.step_usage.values():
        for name in scalars & usage.guessed:
            usage.mutations.pop(name, None)


def _in_broken_cell(blocks: Blocks, var: str) -> bool:
    import re

    return any(re.search(rf"\b{re.escape(var)}\b", source) for source in blocks.broken)


def _resolve_each(
    reads: dict[str, Ref], first: int, table: dict[str, list[Binding]], step: str
) -> Resolved:
    """Resolve each read at the cell that reads it: a step's cells need not be contiguous
    (Kale's `block:` cells), and a later cell sees what the cells in between bound."""
    groups: dict[int, dict[str, Ref]] = {}
    for var, ref in reads.items():
        groups.setdefault(max(first, ref.cell), {})[var] = ref
    out = Resolved()
    for position, group in sorted(groups.items()):
        part = resolve(group, position, table, step)
        out.inputs.update(part.inputs)
        out.params |= part.params
        out.imports.update(part.imports)
        out.helpers |= part.helpers
        out.problems += part.problems
    return out


def _rebuild_containers(
    blocks: Blocks,
    step: str,
    reads: dict[str, Ref],
    first: int,
    prelude: list[str],
    diags: Diagnostics,
) -> dict[str, Ref]:
    """Replace a container of names the step reads by its elements, rebuilt in the prelude."""
    out = dict(reads)
    usage = blocks.step_usage[step]
    for var, ref in sorted(reads.items()):
        found = containers.latest_container(blocks, var, max(first, ref.cell), step)
        if found is None:
            continue
        if containers.rebuildable(blocks, found, step, first):
            del out[var]
            for element in found.elements:
                out.setdefault(element, ref)
            prelude.append(f"{var} = {found.text}")
        elif var in usage.mutations:
            error_at(
                blocks,
                diags,
                usage.mutations[var],
                f"step {step!r} changes `{var}`, a container of "
                f"{', '.join(f'`{e}`' for e in found.elements)} made in cell "
                f"{found.ref.cell}, after one of them was rebound: stored between steps they "
                "would no longer share objects",
                name=var,
                hint=f"rebuild `{var}` right before the loop (`{var} = {found.text}`)",
            )
    return out


def _with_extras(
    spec: PipelineSpec, preludes: dict[str, list[str]], folder: Path | None
) -> PipelineSpec:
    """Add the step preludes, and take the modules found next to the notebook out of the
    packages as local modules (project-relative paths)."""
    import dataclasses

    steps = tuple(
        dataclasses.replace(s, prelude=tuple(preludes.get(s.name, ()))) for s in spec.steps
    )
    return dataclasses.replace(spec, steps=steps)


def local_module(folder: Path | None, notebook: str, module: str) -> str:
    """The project-relative path of `module` when it is a file or package beside the notebook
    (importable because steps run in the notebook's folder), else ""."""
    if folder is None:
        return ""
    top = module.lstrip(".").split(".")[0]
    base = Path(notebook).parent
    for candidate in (f"{top}.py", f"{top}/__init__.py"):
        if (folder / candidate).is_file():
            rel = (base / candidate).as_posix()
            return (
                rel
                if candidate.endswith(".py") and "/" not in candidate
                else (base / top).as_posix()
            )
    return ""


def _maybe_bound(usage: Usage, table: dict[str, list[Binding]], step: str) -> dict[str, Ref]:
    """Names the step binds only in a branch or loop while an earlier step or the parameters
    provide them: the step also reads them, so when its branch does not run the value passes
    through unchanged, as in the notebook."""
    maybe: dict[str, Ref] = {}
    for name, ref in usage.writes.items():
        if name in usage.definite or name in usage.reads:
            continue
        if any(
            b.kind in ("step", "param") and b.owner != step and b.position < ref.cell
            for b in table.get(name, [])
        ):
            maybe[name] = ref
    return maybe


def _helper_names(blocks: Blocks, table: dict[str, list[Binding]], diags: Diagnostics) -> set[str]:
    """Names the functions cells define; their free names must be imports or other helpers."""
    usage = blocks.helper_usage
    names = {n for n in usage.writes if n not in usage.imports}
    reads = {**usage.free_late_reads(), **usage.reads}
    for var, ref in sorted(reads.items()):
        if var in names:
            continue
        res = resolve({var: ref}, 10**9, table, "")
        if res.imports or not (res.problems or res.inputs or res.params or res.helpers):
            continue
        error_at(
            blocks,
            diags,
            ref,
            f"helper code uses `{var}`, which is not an import or another helper",
            name=var,
            hint=f"pass `{var}` to the function as an argument: helpers are shared by all steps",
        )
    return names


def _edges(
    doc: NotebookDoc,
    blocks: Blocks,
    resolved: dict[str, Resolved],
    positions: dict[str, int],
    diags: Diagnostics,
) -> set[tuple[str, str]]:
    edges = {
        (src, step)
        for step, res in resolved.items()
        if step in positions
        for src in res.inputs.values()
    }
    for cell in doc.cells:
        for target in cell.after:
            if target not in positions:
                diags.error(
                    f"after:{target}: no step {target!r}",
                    cell=cell.index,
                    cell_id=cell.id,
                    name=target,
                    hint=f"steps: {', '.join(doc.steps)}",
                )
            elif cell.step and target != cell.step:
                edges.add((target, cell.step))
            elif target == cell.step:
                diags.error(
                    f"step {target!r} cannot run after itself", cell=cell.index, cell_id=cell.id
                )
    return edges


def _helper_imports(
    blocks: Blocks, table: dict[str, list[Binding]], helpers: set[str]
) -> list[ImportBinding]:
    """Imports the helper code reads (from any cell, like a step's)."""
    usage = blocks.helper_usage
    reads = {**usage.free_late_reads(), **usage.reads}
    found: list[ImportBinding] = []
    for var, ref in sorted(reads.items()):
        if var not in helpers:
            found.extend(resolve({var: ref}, 10**9, table, "").imports.values())
    return found


def _outputs(resolved: dict[str, Resolved]) -> dict[str, set[str]]:
    outputs: dict[str, set[str]] = {}
    for res in resolved.values():
        for var, source in res.inputs.items():
            outputs.setdefault(source, set()).add(var)
    return outputs


def _spec(
    doc: NotebookDoc,
    name: str,
    blocks: Blocks,
    params: dict[str, ParamSpec],
    helpers: set[str],
    resolved: dict[str, Resolved],
    edges: set[tuple[str, str]],
    order: list[str],
    outputs: dict[str, set[str]],
    table: dict[str, list[Binding]],
    diags: Diagnostics,
    folder: Path | None = None,
) -> PipelineSpec:
    modules = {"workbench.runtime"}
    steps = []
    for step in order:
        res = resolved[step]
        usage = blocks.step_usage[step]
        cells = tuple(
            CellSpec(p.cell.index, p.cell.id, p.emitted, tuple(sorted(p.cell.tags)))
            for p in blocks.steps[step]
        )
        after = sorted({t for p in blocks.steps[step] for t in p.cell.after})
        depends = sorted({a for a, b in edges if b == step})
        modules.update(b.module for b in res.imports.values() if not b.level)
        modules.update(b.module for b in usage.imports.values() if not b.level)
        outs = outputs.get(step, set())
        steps.append(
            StepSpec(
                name=step,
                module=f"steps.{name}.{step}",
                cells=cells,
                inputs=tuple(sorted(res.inputs)),
                input_sources=dict(sorted(res.inputs.items())),
                outputs=tuple(sorted(outs)),
                params=tuple(sorted(res.params)),
                after=tuple(after),
                depends_on=tuple(depends),
                imports=tuple(sorted({b.statement() for b in res.imports.values()})),
                helpers=tuple(sorted(res.helpers)),
                models=tuple(sorted(outs & usage.fitted)),
            )
        )
    helper_imports = _helper_imports(blocks, table, helpers)
    modules.update(b.module for b in helper_imports if not b.level)
    shipped = written_modules(doc.cells, modules)
    tops = {top_name(m) for m in shipped}
    modules = {m for m in modules if m.split(".")[0] not in tops} | (module_imports(shipped) - tops)
    ids = {c.index: c.id for c in doc.cells}
    for written in shipped:
        diags.note(
            f"the notebook writes {written.path} (%%writefile) and the steps import it: shipped "
            f"as steps/{name}/_modules/{written.path}",
            cell=written.cells[-1],
            cell_id=ids.get(written.cells[-1], ""),
            name=written.path,
        )
    packages, unknown = resolve_packages(modules)
    local = sorted({p for m in unknown if (p := local_module(folder, doc.path, m))})
    unknown = [m for m in unknown if not local_module(folder, doc.path, m)]
    for module in unknown:
        diags.warning(
            f"no installed distribution provides `{module}`; it is left out of requirements.txt",
            name=module,
            hint="install it here (so its version can be pinned), or ship it in the image",
        )
    helper_cells = tuple(
        CellSpec(p.cell.index, p.cell.id, p.emitted, tuple(sorted(p.cell.tags)))
        for p in blocks.functions
    )
    return PipelineSpec(
        name=name,
        notebook=doc.path,
        parameters=tuple(params[k] for k in sorted(params)),
        steps=tuple(steps),
        edges=tuple(sorted(edges)),
        helpers_module=f"steps.{name}._helpers" if helpers else "",
        helper_cells=helper_cells if helpers else (),
        helper_imports=tuple(sorted({b.statement() for b in helper_imports})) if helpers else (),
        python=python_version(),
        packages=packages,
        local_modules=tuple(local),
        written_modules=tuple(shipped),
    )
