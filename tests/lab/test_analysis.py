"""The side panel's data (workbench.lab.analysis): the compiler's own view, never a crash.

Checked against the compiler's spec and the generated pipeline.json rather than against values
written here, on the example notebook, a Kale notebook, and notebooks that do not compile.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from tests.compiler import notebooks
from tests.compiler.test_tags import KALE_LAYOUT
from workbench.compiler import compile_notebook
from workbench.compiler.parse import AFTER_PREFIXES, KALE_SETTINGS, ROLE_TAGS, STEP_PREFIXES
from workbench.lab.analysis import analyse_notebook, tag_vocabulary

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # the first staleness check imports every emitter (~9 s)
def test_example_notebook_matches_the_generated_pipeline() -> None:
    answer = analyse_notebook(REPO / "notebooks" / "train.ipynb", REPO)
    recorded = json.loads((REPO / "steps" / "train" / "pipeline.json").read_text())
    assert answer["ok"] and answer["pipeline"] == "train"
    assert [s["name"] for s in answer["steps"]] == [s["name"] for s in recorded["steps"]]
    for shown, step in zip(answer["steps"], recorded["steps"], strict=True):
        assert [i["name"] for i in shown["inputs"]] == step["inputs"]
        assert {i["name"]: i["from"] for i in shown["inputs"]} == step["input_sources"]
        assert shown["outputs"] == step["outputs"]
        assert shown["params"] == step["params"]
        assert [c["id"] for c in shown["cells"]] == [c["id"] for c in step["cells"]]
    assert [p["name"] for p in answer["parameters"]] == [p["name"] for p in recorded["parameters"]]
    # the committed steps/ are what the notebook generates (CI's drift check says the same)
    assert answer["stale"]["generated"] and not answer["stale"]["stale"]


def test_untagged_cell_shows_the_step_it_joins_and_kale_tags_are_understood(
    tmp_path: Path,
) -> None:
    path = notebooks.write(notebooks.build(KALE_LAYOUT), tmp_path / "forecast.ipynb")
    answer = analyse_notebook(path, tmp_path)
    spec, _ = compile_notebook(path, root=tmp_path)
    assert answer["ok"], answer["diagnostics"]
    assert [s["name"] for s in answer["steps"]] == [s.name for s in spec.steps]
    roles = {c["id"]: (c["role"], c["step"]) for c in answer["cells"]}
    # `block:load` twice: both cells are step load; the untagged cell after
    # pipeline-parameters is a parameter cell (Kale's rule)
    assert roles["cell-5"] == roles["cell-7"] == ("step", "load")
    assert roles["cell-2"][0] == "parameters"
    load = next(s for s in answer["steps"] if s["name"] == "load")
    assert [c["id"] for c in load["cells"]] == ["cell-5", "cell-7"]
    smooth = next(s for s in answer["steps"] if s["name"] == "smooth")
    assert {"name": "sales", "from": "load"} in smooth["inputs"]
    assert answer["stale"] == {
        "generated": False,
        "stale": True,
        "files": [],
        "message": "steps/forecast not generated yet: run productionize",
        "verification": "",
    }


def test_vocabulary_is_the_parsers() -> None:
    vocab = tag_vocabulary()
    assert set(vocab["roles"]) == set(ROLE_TAGS)
    assert {"pipeline-parameters", "pipeline-metrics", "skip"} <= set(vocab["roles"])
    assert tuple(vocab["step_prefixes"]) == STEP_PREFIXES == ("step:", "block:")
    assert tuple(vocab["after_prefixes"]) == AFTER_PREFIXES
    assert tuple(vocab["kale_settings"]) == KALE_SETTINGS


def test_compile_errors_are_diagnostics_on_their_cells(tmp_path: Path) -> None:
    path = notebooks.write(
        notebooks.build(
            [
                (["parameters"], "rate = 0.1"),
                (["step:fit"], "weights = [rate * x for x in range(4)]"),
                (["step:score"], "score = sum(weights) + bias  # bias is never defined"),
            ]
        ),
        tmp_path / "broken.ipynb",
    )
    answer = analyse_notebook(path, tmp_path)
    assert not answer["ok"] and answer["steps"] == [] and answer["stale"] is None
    errors = [d for d in answer["diagnostics"] if d["severity"] == "error"]
    assert errors and all(d["cell"] == 2 and d["cell_id"] == "cell-2" for d in errors)
    assert any("bias" in d["message"] for d in errors)
    # the parser's view still comes back, so badges can show roles
    assert [c["step"] for c in answer["cells"]] == ["", "fit", "score"]


@pytest.mark.parametrize(
    "text",
    ['{"cells": [', "not json at all", json.dumps({"nbformat": 4, "cells": "no"})],
)
def test_unreadable_notebook_is_a_diagnostic(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_text(text)
    answer = analyse_notebook(path, tmp_path)
    assert not answer["ok"] and answer["cells"] == []
    assert [d["severity"] for d in answer["diagnostics"]] == ["error"]
    assert "not a valid .ipynb notebook" in answer["diagnostics"][0]["message"]


@pytest.mark.slow
def test_stale_after_editing_a_step_cell(tmp_path: Path) -> None:
    from workbench.cli.productionize import productionize

    root = tmp_path / "proj"
    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    path = root / "notebooks" / "train.ipynb"
    shutil.copy(REPO / "notebooks" / "train.ipynb", path)
    productionize(path, root=root)
    assert analyse_notebook(path, root)["stale"]["stale"] is False

    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "step:train" in c.metadata.get("tags", []))
    cell.source += "\nprint('one more line')"
    nbformat.write(nb, path)
    stale = analyse_notebook(path, root)["stale"]
    assert stale["stale"] is True
    assert "steps/train/train.py" in stale["files"]
    assert "run productionize" in stale["message"]
