"""Step-module lines map back to notebook cells, on the committed example's real modules (which
ruff has formatted) and on a cell the formatter rewrites heavily."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import nbformat

from workbench.emit.context import EmitContext
from workbench.emit.pyformat import format_python
from workbench.emit.python import render_step
from workbench.spec.cellmap import locate
from workbench.spec.model import load_spec

REPO = Path(__file__).resolve().parents[2]


def _code(line: str) -> str:
    """A formatted line's own code: without the brackets and comma the formatter adds."""
    return line.strip().rstrip(",").rstrip("([{").strip()


def test_every_cell_line_of_every_step_maps_to_the_notebook_line() -> None:
    spec = load_spec(REPO / "steps" / "train" / "pipeline.json")
    notebook = nbformat.read(str(REPO / spec.notebook), as_version=4)
    checked = rewrapped = 0
    for step in spec.steps:
        text = (REPO / "steps" / "train" / f"{step.name}.py").read_text()
        module_lines = text.splitlines()
        for number, line in enumerate(module_lines, start=1):
            where = locate(spec, step, text, number)
            if where is None:
                continue
            assert where.notebook == "notebooks/train.ipynb"
            assert where.tag == f"step:{step.name}"
            cell_line = notebook.cells[where.cell].source.splitlines()[where.line - 1]
            # the notebook line holds the module line's code (the formatter only splits lines)
            assert _code(line) in cell_line, (step.name, number, line, cell_line)
            rewrapped += line.strip() != cell_line.strip()
            checked += 1
    assert checked >= 20
    assert rewrapped >= 4  # the example's long lines are split by the formatter
    # wrapper lines (the signature, the return) belong to no cell
    train = spec.step("train")
    text = (REPO / "steps" / "train" / "train.py").read_text()
    lines = text.splitlines()
    ret = next(i for i, ln in enumerate(lines, 1) if ln.strip().startswith("return TrainOutputs"))
    sig = next(i for i, ln in enumerate(lines, 1) if ln.startswith("def train("))
    assert locate(spec, train, text, ret) is None
    assert locate(spec, train, text, sig) is None
    assert locate(spec, train, text, len(lines) + 10) is None


CELL = """\
#set up
x = {'a':1,
     'b':2}
y = [  x['a'], x['b'],  x['a'] + x['b'] + x['a'] + x['b'] + x['a'] + x['b'] + x['a'] + x['b'] + x['a'] * 1000 ]
z = 1/0
"""


def test_a_cell_the_formatter_rewrites_still_maps_statement_by_statement() -> None:
    spec = load_spec(REPO / "steps" / "train" / "pipeline.json")
    step = spec.step("evaluate")
    cell = replace(step.cells[0], source=CELL)
    step = replace(step, cells=(cell,))
    ctx = EmitContext(notebook=spec.notebook, name=spec.name)
    text = format_python(render_step(spec, step, ctx), "steps/train/evaluate.py")
    assert CELL.splitlines()[1] not in text  # the formatter did rewrite the cell
    lines = text.splitlines()

    def module_line(prefix: str) -> int:
        return next(i for i, ln in enumerate(lines, 1) if ln.strip().startswith(prefix))

    expected = {"# set up": 1, 'x = {"a": 1, "b": 2}': 2, "y = [": 4, "z = 1 / 0": 5}
    for prefix, cell_line in expected.items():
        where = locate(spec, step, text, module_line(prefix))
        assert where is not None and where.line == cell_line, (prefix, where)
    # a line the formatter made out of the middle of a long one: the line it came from
    inner = module_line('x["a"] + x["b"]')
    assert inner != module_line("y = [")
    where = locate(spec, step, text, inner)
    assert where is not None and where.line == 4
