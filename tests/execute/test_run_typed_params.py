"""`workbench run` on a Kale notebook: its `pipeline-parameters` cells are the parameters, read
with the compiler's parser, and `-p` texts arrive typed (a tuple stays a tuple, dict keys stay
ints, `C 2` for a float default is 2.0), as papermill injects them after the last such cell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from probe_notebooks import KERNELSPEC

pytestmark = pytest.mark.slow

REPORT = (
    "import json\n"
    "seen = {k: [repr(v), type(v).__name__] for k, v in "
    "dict(C=C, layers=layers, opts=opts, depth=depth, name=name).items()}\n"
    "open('seen.json', 'w').write(json.dumps(seen))\n"
)


def _kale_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = KERNELSPEC
    first = nbformat.v4.new_code_cell("C = 1.0\nlayers = (64, 32)\nname = 'x'", id="p1")
    first.metadata["tags"] = ["pipeline-parameters"]
    second = nbformat.v4.new_code_cell("opts = {1: 'a', 'b': None}\ndepth = None", id="p2")
    second.metadata["tags"] = ["pipeline-parameters"]
    body = nbformat.v4.new_code_cell(REPORT, id="report")
    body.metadata["tags"] = ["block:report"]
    nb.cells = [nbformat.v4.new_markdown_cell("# kale", id="md"), first, second, body]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "WORKBENCH_"))}
    return subprocess.run(
        [sys.executable, "-m", "workbench", "run", "notebooks/kale.ipynb", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_kale_parameters_are_overridden_typed(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    _kale_notebook(root / "notebooks" / "kale.ipynb")
    out = root / "out" / "kale.ipynb"
    done = _run(
        root, "-p", "C", "2", "-p", "layers", "[8, 4]", "-p", "opts", "{2: 'z'}",
        "-p", "depth", "5", "-r", "name", "007", "--output", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads((root / "notebooks" / "seen.json").read_text())
    assert seen == {
        "C": ["2.0", "float"],
        "layers": ["(8, 4)", "tuple"],
        "opts": ["{2: 'z'}", "dict"],
        "depth": ["5", "int"],
        "name": ["'007'", "str"],
    }
    executed = nbformat.read(str(out), as_version=4)
    assert executed.metadata.papermill.input_path == "notebooks/kale.ipynb"
    # injected after the last parameters cell, so no Kale default overwrites an override
    tags = [c.metadata.get("tags", []) for c in executed.cells]
    assert tags.index(["injected-parameters"]) == 3

    bad = _run(root, "-p", "layers", "{1: 2}")
    assert bad.returncode == 2
    assert "parameter layers: '{1: 2}' is not a valid tuple" in bad.stderr
    unknown = _run(root, "-p", "c", "1")
    assert unknown.returncode == 2 and "(known: C, depth, layers, name, opts)" in unknown.stderr
