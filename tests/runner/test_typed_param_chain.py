"""Tuples, lists, dicts, None and bools as pipeline parameters through a real chain:
`productionize` compiles the notebook, `workbench pipeline run -p ...` runs each step as its own
`python -m` process, and every step receives the exact value (type included); texts that spell
the same value (`C=1` and `C=1.0`) share a cache key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from project_helpers import isolate, make_project

from workbench.core.settings import settings
from workbench.runner import RunOptions, run_pipeline
from workbench.runner.store import ArtifactStore
from workbench.runtime.artifacts import read_value

pytestmark = pytest.mark.slow

PARAMS = 'C = 1.0\nlayers = (64, 32)\ncols = ["a", "b"]\nopts = {1: "a", "b": None}\ndepth = None\nflag = True'
MAKE = "made = {'layers': layers, 'cols': cols, 'flag': flag}"
USE = (
    "summary = {k: (repr(v), type(v).__name__) for k, v in "
    "dict(made=made, opts=opts, depth=depth, C=C).items()}"
)


def _notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    last = "n = len(summary)"  # a later reader makes `summary` an output of `use`
    cells = [("parameters", PARAMS), ("step:make", MAKE), ("step:use", USE), ("step:end", last)]
    for index, (tag, source) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source, id=f"c{index}")
        cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def test_container_parameters_reach_the_steps_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "proj")
    _notebook(root / "notebooks" / "typed.ipynb")
    isolate(monkeypatch, root)
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "productionize", "notebooks/typed.ipynb"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    module = (root / "steps" / "typed" / "make.py").read_text()
    assert "layers: tuple[Any, ...] = (64, 32)" in module

    overrides = ("layers=[8, 4]", "opts={2: 'z', 'k': [1, None]}", "depth=5", "flag=no", "C=1")
    result = run_pipeline("typed", RunOptions(overrides=overrides, lineage="off"))
    assert result.ok, result.steps
    store = ArtifactStore(settings().artifact_store)
    summary = read_value(store.output_uri("typed", "use", result.steps["use"].key, "summary"))
    assert summary == {
        "made": ("{'layers': (8, 4), 'cols': ['a', 'b'], 'flag': False}", "dict"),
        "opts": ("{2: 'z', 'k': [1, None]}", "dict"),
        "depth": ("5", "int"),
        "C": ("1.0", "float"),
    }
    # the same values spelled differently are the same cache key: nothing runs again
    again = ("layers=(8,4)", 'opts={2: "z", "k": [1, None]}', "depth=5", "flag=False", "C=1.0")
    rerun = run_pipeline("typed", RunOptions(overrides=again, lineage="off"))
    assert rerun.ok and rerun.executed == []
