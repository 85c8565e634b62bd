"""Checks the analysis runs besides data flow: names, star and __future__ imports, skipped
cells inside a step, unordered producers (errors); dropped code and global seeds (warnings)."""

from __future__ import annotations

import ast
import keyword

from workbench.compiler.blocks import Blocks
from workbench.compiler.dataflow import Binding, Resolved
from workbench.compiler.diagnostics import Diagnostics
from workbench.compiler.graph import ancestors
from workbench.compiler.names import Ref
from workbench.compiler.parse import NotebookDoc

# module names the package uses, and the names a step module binds at module level
RESERVED = {"pipeline", "_helpers", "__init__", "__main__", "run_step", "main_guard", "typing"}


def error_at(blocks: Blocks, diags: Diagnostics, ref: Ref, message: str, **extra: str) -> None:
    cell = blocks.cells.get(ref.cell)
    diags.error(
        message, cell=ref.cell, cell_id=cell.cell.id if cell else "", line=ref.line, **extra
    )


def check_step_names(doc: NotebookDoc, blocks: Blocks, diags: Diagnostics) -> None:
    for step in doc.steps:
        cells = blocks.steps.get(step) or []
        where = cells[0].where() if cells else {}
        if keyword.iskeyword(step) or step in RESERVED:
            diags.error(
                f"{step!r} cannot name a step (Python keyword or a reserved module name)",
                **where,
                name=step,
                hint="choose another step name",
            )


def check_star_imports(blocks: Blocks, diags: Diagnostics) -> None:
    for prepared in blocks.cells.values():
        if prepared.cell.role == "skip":
            continue
        index = prepared.cell.index
        usage = blocks.cell_usage.get(index) or blocks.step_usage.get(prepared.cell.step)
        for ref in usage.future_imports if usage and prepared.cell.role == "step" else []:
            if ref.cell == index:
                diags.error(
                    "`from __future__` imports cannot move into a step function",
                    **prepared.where(ref.line),
                    hint="remove it (Python 3.11 needs none of them for notebook code)",
                )
        for ref in usage.star_imports if usage else []:
            if ref.cell == index:
                diags.error(
                    "star import: the names it brings in cannot be traced to their module",
                    **prepared.where(ref.line),
                    name="*",
                    hint="import the names you use (`from module import a, b`)",
                )


def check_skips_inside_steps(blocks: Blocks, diags: Diagnostics) -> None:
    """A skipped cell (or, with Kale's non-contiguous `block:` cells, another step's cell)
    between two cells of one step must not change what the step reads next: the notebook would
    see the change, the pipeline would not."""
    from workbench.compiler.names import scan_block

    skips = [p for p in blocks.other if p.cell.role == "skip"]
    skips += [p for ps in blocks.steps.values() for p in ps]
    for step, cells in blocks.steps.items():
        for skip in skips:
            later = [p for p in cells if p.cell.index > skip.cell.index]
            if not later or skip.cell.index < cells[0].cell.index or skip.cell.step == step:
                continue
            usage = blocks.cell_usage.get(skip.cell.index) or scan_block(
                [(skip.cell.index, skip.tree)]
            )
            changed = {**usage.writes, **usage.mutations}
            loads = {
                n.id
                for p in later
                for n in ast.walk(p.tree)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            }
            if skip.cell.step:  # another step's cell: only names this step had before matter
                before = scan_block(
                    [(p.cell.index, p.tree) for p in cells if p.cell.index < skip.cell.index]
                )
                loads &= {*before.reads, *before.writes, *before.mutations}
            for var in sorted((set(changed) - set(usage.imports)) & loads):
                what = f"step {skip.cell.step!r}" if skip.cell.step else "skipped cell"
                error_at(
                    blocks,
                    diags,
                    changed[var],
                    f"{what} changes `{var}`, which step {step!r} reads in a later cell",
                    name=var,
                    hint="move the skipped cell after the step, or make it not change "
                    f"`{var}` (e.g. work on a copy)",
                )


def check_split_steps(blocks: Blocks, diags: Diagnostics) -> None:
    """A later cell of a split step (Kale's non-contiguous `block:` cells) must not change what a
    step in between read: that step saw the earlier value in the notebook, the step's final
    value in the pipeline."""
    from workbench.compiler.names import scan_block

    firsts = {s: cells[0].cell.index for s, cells in blocks.steps.items() if cells}
    for step, cells in blocks.steps.items():
        for later in cells[1:]:
            usage = scan_block([(later.cell.index, later.tree)])
            changed = {**usage.writes, **usage.mutations}
            for other, first in sorted(firsts.items(), key=lambda item: item[1]):
                if other == step or not cells[0].cell.index < first < later.cell.index:
                    continue
                read = set(blocks.step_usage[other].reads) | set(blocks.step_usage[other].mutations)
                for var in sorted((set(changed) - set(usage.imports)) & read):
                    error_at(
                        blocks,
                        diags,
                        changed[var],
                        f"this cell of step {step!r} changes `{var}` after step {other!r} "
                        f"(cell {first}) read it; the pipeline runs all of {step!r} first",
                        name=var,
                        hint=f"move this cell before step {other!r}, or into another step",
                    )


def warn_dropped_statements(
    blocks: Blocks, diags: Diagnostics, replayed: set[tuple[int, int]]
) -> None:
    """Code in an imports cell (or an untagged cell before the first step) that is not an import
    runs in the notebook but in no step; library state (`pd.set_option(...)`, `replayed`) is
    replayed in the steps instead."""
    for prepared in blocks.other:
        if prepared.cell.role not in ("imports", "preamble"):
            continue
        for stmt in prepared.tree.body:
            if isinstance(stmt, ast.Import | ast.ImportFrom | ast.Pass):
                continue
            if (prepared.cell.index, stmt.lineno) in replayed:
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue
            diags.warning(
                "this statement is not an import: no step runs it",
                **prepared.where(stmt.lineno),
                hint="move it into the step that needs it (or into a functions cell)",
            )


def check_unordered(
    resolved: dict[str, Resolved],
    table: dict[str, list[Binding]],
    edges: set[tuple[str, str]],
    blocks: Blocks,
    diags: Diagnostics,
) -> None:
    """A name two unordered steps both produce is ambiguous for whoever reads it."""
    above = ancestors(edges)
    reported: set[tuple[str, str, str]] = set()
    for reader, res in resolved.items():
        if reader.startswith("#"):
            position = int(reader[len("#metrics") :])
        elif blocks.steps.get(reader):
            position = blocks.steps[reader][0].cell.index
        else:
            continue
        for var, source in sorted(res.inputs.items()):
            for other in table.get(var, []):
                if other.kind != "step" or other.owner == source or other.position >= position:
                    continue
                if other.owner in above.get(source, set()) or source in above.get(
                    other.owner, set()
                ):
                    continue
                key = (var, *sorted((other.owner, source)))
                if key in reported or other.owner == reader:
                    continue
                reported.add(key)  # type: ignore[arg-type]
                ref = other.ref or Ref(other.position, 1)
                error_at(
                    blocks,
                    diags,
                    ref,
                    f"`{var}` is produced by steps {other.owner!r} and {source!r}, which are not "
                    "ordered relative to each other",
                    name=var,
                    hint=f"add the tag after:{other.owner} to step {source!r} if its value "
                    "should win, or rename one of them",
                )


def check_top_level_await(blocks: Blocks, diags: Diagnostics) -> None:
    """IPython runs a cell's top-level `await`; inside a step function it is a syntax error."""
    for step, cells in blocks.steps.items():
        for prepared in cells:
            asyncs = {
                id(inner)
                for node in ast.walk(prepared.tree)
                if isinstance(node, ast.AsyncFunctionDef)
                for inner in ast.walk(node)
            }
            for node in ast.walk(prepared.tree):
                is_async = isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith)
                if is_async and id(node) not in asyncs:
                    error_at(
                        blocks,
                        diags,
                        Ref(prepared.cell.index, getattr(node, "lineno", 1)),
                        f"step {step!r} uses top-level `await`, which only IPython allows",
                        hint="wrap the asynchronous code in a function and call "
                        "asyncio.run(main())",
                    )
                    break
