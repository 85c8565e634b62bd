"""Step-module lines map back to notebook cells, on the committed example's real modules."""

from __future__ import annotations

from pathlib import Path

import nbformat

from workbench.spec.cellmap import locate
from workbench.spec.model import load_spec

REPO = Path(__file__).resolve().parents[2]


def test_every_cell_line_of_every_step_maps_to_the_notebook_line() -> None:
    spec = load_spec(REPO / "steps" / "train" / "pipeline.json")
    notebook = nbformat.read(str(REPO / spec.notebook), as_version=4)
    checked = 0
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
            # verbatim but for the function-body indent (blank lines are left blank)
            assert line.strip() == cell_line.strip(), (step.name, number)
            checked += 1
    assert checked >= 20
    # wrapper lines (the signature, the return) belong to no cell
    train = spec.step("train")
    text = (REPO / "steps" / "train" / "train.py").read_text()
    lines = text.splitlines()
    ret = next(i for i, ln in enumerate(lines, 1) if ln.strip().startswith("return TrainOutputs"))
    sig = next(i for i, ln in enumerate(lines, 1) if ln.startswith("def train("))
    assert locate(spec, train, text, ret) is None
    assert locate(spec, train, text, sig) is None
    assert locate(spec, train, text, len(lines) + 10) is None
