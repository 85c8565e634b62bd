"""From a line of a generated step module back to the notebook cell and line it came from.

Step modules hold their cells verbatim behind `# %% cell N (id X)` markers, one module line per
cell line (workbench.emit.python), and pipeline.json keeps each cell's source. So line L of a
traceback frame in `steps/NAME/STEP.py` is line `L - marker` of the cell whose marker precedes
it, as long as L is within that cell's line count (the `return` after the last cell, the
wrapper's own lines and the prelude map to nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.spec.model import CellSpec, PipelineSpec, StepSpec

MARKER = re.compile(r"^\s*# %% cell (\d+)(?: \(id [^)]*\))?\s*$")


@dataclass(frozen=True)
class CellLine:
    """Where a step-module line came from in the notebook."""

    notebook: str
    cell: int  # the cell's index, as the compiler's diagnostics number cells
    tag: str
    line: int  # 1-based, within the cell

    def __str__(self) -> str:
        return f"{self.notebook}, cell {self.cell} ({self.tag}), line {self.line}"


def _tag(cell: CellSpec, step: StepSpec) -> str:
    tags = [t for t in cell.tags if t.startswith("step:")]
    return tags[0] if tags else cell.tags[0] if cell.tags else f"step:{step.name}"


def locate(spec: PipelineSpec, step: StepSpec, module_text: str, lineno: int) -> CellLine | None:
    """The notebook cell and line of `lineno` (1-based) of the step's module text, or None."""
    lines = module_text.splitlines()
    cells = {cell.index: cell for cell in step.cells}
    for number in range(min(lineno, len(lines) + 1) - 1, 0, -1):
        found = MARKER.match(lines[number - 1])
        if found is None:
            continue
        cell = cells.get(int(found.group(1)))
        offset = lineno - number
        if cell is None or offset < 1 or offset > len(cell.source.splitlines()):
            return None
        return CellLine(spec.notebook, cell.index, _tag(cell, step), offset)
    return None
