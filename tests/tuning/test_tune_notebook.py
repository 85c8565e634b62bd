"""notebooks/tune.ipynb is what its builder makes, and its code is valid Python."""

from __future__ import annotations

import ast

import nbformat
from tune_notebook import NOTEBOOK, build, render


def test_committed_notebook_matches_its_builder() -> None:
    assert NOTEBOOK.read_text(encoding="utf-8") == render(), (
        "notebooks/tune.ipynb drifted: rebuild it with tests/tuning/tune_notebook.py"
    )
    assert render() == render()  # deterministic


def test_cells_have_fixed_ids_tags_and_parse() -> None:
    nb = nbformat.reads(render(), as_version=4)
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids)) and ids[:2] == ["intro", "parameters"]
    assert nb.cells[1].metadata["tags"] == ["parameters"]
    for cell in build().cells:
        if cell.cell_type == "code":
            ast.parse(cell.source)
            assert cell.outputs == [] and cell.execution_count is None
