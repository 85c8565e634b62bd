"""From a line of a generated step module back to the notebook cell and line it came from.

Step modules hold their cells behind `# %% cell N (id X)` markers (workbench.emit.python), as
ruff formatted them (workbench.emit.pyformat), and pipeline.json keeps each cell's source as the
notebook has it. A line of a traceback frame in `steps/NAME/STEP.py` belongs to the cell whose
marker precedes it, up to the next marker or the step's generated `return`; the wrapper's own
lines and the prelude map to nothing. Within a cell the formatted text is aligned with the
notebook's by its tokens (formatting moves tokens between lines, never changes which ones there
are, but for parentheses and commas), so a line maps to the notebook line of its first token.
An unchanged cell maps line for line.
"""

from __future__ import annotations

import ast
import difflib
import io
import re
import tokenize
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
        end = _region_end(module_text, lines, number, step.name)
        if cell is None or end is None or lineno >= end:
            return None
        line = _cell_line(lines[number : end - 1], cell.source, lineno - number)
        if line is None:
            return None
        return CellLine(spec.notebook, cell.index, _tag(cell, step), line)
    return None


def _region_end(module_text: str, lines: list[str], marker: int, step_name: str) -> int | None:
    """The first module line after the cell that starts at `marker`: the next marker or the
    step function's generated `return` (its last statement)."""
    try:
        tree = ast.parse(module_text)
    except SyntaxError:
        return None
    func = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == step_name), None
    )
    if func is None or not func.lineno < marker < func.body[-1].lineno:
        return None
    end = func.body[-1].lineno
    return next((k for k in range(marker + 1, end) if MARKER.match(lines[k - 1])), end)


def _cell_line(region: list[str], source: str, offset: int) -> int | None:
    """The 1-based line of `source` that line `offset` of its formatted `region` came from."""
    original = source.splitlines()
    if offset < 1 or offset > len(region):
        return None
    if [r.strip() for r in region] == [o.strip() for o in original]:
        return offset  # unchanged by the formatter: line for line
    if not region[offset - 1].strip():
        return None
    new, old = _tokens("\n".join(region)), _tokens(source)
    if new is None or old is None:
        return None
    matcher = difflib.SequenceMatcher(None, [t[0] for t in new], [t[0] for t in old], False)
    best: int | None = None
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            row = new[a + k][1]
            if row == offset:
                return old[b + k][1]
            if row < offset:
                best = old[b + k][1]  # a line of closing brackets: its statement's last line
    return best


def _tokens(text: str) -> list[tuple[str, int]] | None:
    """(normalised token, line) for the tokens that carry code or comments."""
    skip = {tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    out: list[tuple[str, int]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in skip:
                continue
            out.append((_normalised(tok), tok.start[0]))
    except (tokenize.TokenError, SyntaxError):
        return None
    return out


def _normalised(tok: tokenize.TokenInfo) -> str:
    """The token as the formatter may rewrite it compared equal: quotes, comment spacing."""
    if tok.type == tokenize.COMMENT:
        return "#" + tok.string.lstrip("#").strip()
    if tok.type == tokenize.STRING:
        try:
            return repr(ast.literal_eval(tok.string))
        except (ValueError, SyntaxError):
            return tok.string.replace("'", '"')
    if tok.type == getattr(tokenize, "FSTRING_START", None):  # Python 3.12+
        return tok.string.replace("'", '"')
    return tok.string
