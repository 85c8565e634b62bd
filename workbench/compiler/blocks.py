"""Per-cell preparation: translate IPython syntax, parse with `ast`, and scan each block
(role cells one by one, each step's cells together) into name usage."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from workbench.compiler.diagnostics import Diagnostics
from workbench.compiler.ipython import translate
from workbench.compiler.names import Usage, scan_block
from workbench.compiler.parse import Cell, NotebookDoc

STRICT_ROLES = ("parameters", "imports", "functions", "step", "metrics")


@dataclass
class Prepared:
    """A parsed code cell: the text a step module gets and its syntax tree."""

    cell: Cell
    emitted: str
    tree: ast.Module

    def where(self, line: int | None = None) -> dict[str, object]:
        where: dict[str, object] = {"cell": self.cell.index, "cell_id": self.cell.id}
        if line is not None:
            where["line"] = line
        return where


@dataclass
class Blocks:
    cells: dict[int, Prepared] = field(default_factory=dict)
    params: list[Prepared] = field(default_factory=list)
    functions: list[Prepared] = field(default_factory=list)
    other: list[Prepared] = field(default_factory=list)  # imports, preamble, skip, metrics
    steps: dict[str, list[Prepared]] = field(default_factory=dict)
    helper_usage: Usage = field(default_factory=Usage)
    step_usage: dict[str, Usage] = field(default_factory=dict)
    cell_usage: dict[int, Usage] = field(default_factory=dict)  # every non-step code cell
    broken: list[str] = field(default_factory=list)  # sources of cells that did not parse


def prepare(doc: NotebookDoc, diags: Diagnostics) -> Blocks:
    blocks = Blocks(steps={name: [] for name in doc.steps})
    for cell in doc.cells:
        where = {"cell": cell.index, "cell_id": cell.id}
        strict = cell.role in STRICT_ROLES
        try:
            tr = translate(cell.source)
            tree = ast.parse(tr.analysed)
        except SyntaxError as exc:
            blocks.broken.append(cell.source)
            if strict:
                diags.error(
                    f"not valid Python: {exc.msg}",
                    **where,
                    line=exc.lineno,
                    hint="fix the cell so it runs in the notebook first",
                )
            continue
        if strict:
            for line, message, name, hint in tr.errors:
                diags.error(message, **where, line=line, name=name, hint=hint)
            for line, message in tr.notes:
                diags.note(message, **where, line=line)
        prepared = Prepared(cell, tr.emitted, tree)
        blocks.cells[cell.index] = prepared
        if cell.role == "step":
            blocks.steps[cell.step].append(prepared)
        elif cell.role == "parameters":
            blocks.params.append(prepared)
        elif cell.role == "functions":
            blocks.functions.append(prepared)
        else:
            blocks.other.append(prepared)
    blocks.helper_usage = scan_block([(p.cell.index, p.tree) for p in blocks.functions])
    helper_mutations = dict(blocks.helper_usage.mutated_params)
    # functions a step defines and a later step calls: their mutations count too (two passes)
    for cells in blocks.steps.values():
        found = scan_block([(p.cell.index, p.tree) for p in cells], helper_mutations)
        for function, params in found.mutated_params.items():
            helper_mutations.setdefault(function, params)
    for name, cells in blocks.steps.items():
        blocks.step_usage[name] = scan_block(
            [(p.cell.index, p.tree) for p in cells], helper_mutations
        )
    for prepared in [*blocks.params, *blocks.functions, *blocks.other]:
        blocks.cell_usage[prepared.cell.index] = scan_block(
            [(prepared.cell.index, prepared.tree)], helper_mutations
        )
    return blocks
