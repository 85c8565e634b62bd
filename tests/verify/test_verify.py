"""`productionize --verify` on notebooks in other domains: the generated pipeline, run chained
through its real commands, equals the notebook or the command exits 1 naming step, name, cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.compiler.harness import make_project
from tests.compiler.notebooks import Cell, build, write
from tests.verify.notebooks import (
    ALIAS,
    CLASSES,
    CLEAN,
    COMBINE,
    CROSS_VALIDATE,
    ENV_STATE,
    GEO_WRITEFILE,
    HELPER_OBJECT,
    OUT_PARAM,
    SEARCH,
    SPARSE,
    WRITEFILE,
)
from workbench.cli.productionize import Outcome, productionize
from workbench.verify.chain import run_chain

pytestmark = pytest.mark.slow  # each runs a kernel and the pipeline's step processes


def verified(tmp: Path, cells: list[Cell], name: str) -> tuple[Path, Outcome]:
    project = make_project(tmp / name)
    notebook = write(build(cells), project / "notebooks" / f"{name}.ipynb")
    return project, productionize(notebook, root=project, verify=True)


def verdict(project: Path, name: str) -> dict:
    spec = json.loads((project / "steps" / name / "pipeline.json").read_text())
    return dict(spec["verification"])


def test_clean_notebook_verifies(tmp_path: Path) -> None:
    project, outcome = verified(tmp_path, CLEAN, "words")
    assert outcome.exit_code == 0, outcome.messages
    found = verdict(project, "words")
    assert found["status"] == "equal"
    assert found["steps"]["count"]["outputs"] == {"vocab": "equal"}
    assert found["parameters"] == {"label": "words", "min_count": "2"}
    # the verdict is stored deterministically and --check accepts it until the notebook changes
    notebook = project / "notebooks" / "words.ipynb"
    assert productionize(notebook, root=project, check=True).exit_code == 0
    nb = build(CLEAN)
    nb.cells[-1].source += "\ntable = table.head(1)"
    write(nb, notebook)
    stale = productionize(notebook, root=project, check=True)
    assert stale.exit_code == 1
    assert any("changed after the last verification" in m for m in stale.messages)


def test_runtime_mutation_becomes_an_output(tmp_path: Path) -> None:
    project, outcome = verified(tmp_path, OUT_PARAM, "regress")
    assert outcome.exit_code == 0, outcome.messages
    spec = json.loads((project / "steps" / "regress" / "pipeline.json").read_text())
    steps = {s["name"]: s for s in spec["steps"]}
    assert "y" in steps["clean"]["outputs"]
    assert steps["fit"]["input_sources"]["y"] == "clean"
    assert spec["verification"]["runtime_outputs"] == [
        {"cell": 3, "name": "y", "reader": "fit", "step": "clean"}
    ]
    # a plain re-compile keeps the re-wired output (it travels in the verdict)
    notebook = project / "notebooks" / "regress.ipynb"
    assert productionize(notebook, root=project, check=True).exit_code == 0


def test_global_state_diverges_naming_step_name_cell(tmp_path: Path) -> None:
    _, outcome = verified(tmp_path, ENV_STATE, "sales")
    assert outcome.exit_code == 1
    smooth = [m for m in outcome.messages if "step smooth: smooth" in m]
    assert smooth, outcome.messages
    assert "last changed in cell 3" in smooth[0]
    assert "smooth.iloc[" in smooth[0]  # the first differing element
    assert "global state" in smooth[0]


def test_shared_objects_refused(tmp_path: Path) -> None:
    project, outcome = verified(tmp_path, COMBINE, "kaggle")
    assert outcome.exit_code == 1
    text = "\n".join(outcome.messages)
    assert ("combine, train_df" in text or "train_df, combine" in text) and "cell 2" in text
    assert "shared objects" in text
    assert verdict(project, "kaggle")["status"] == "differs"


def test_alias_changed_in_a_later_step_is_one_message(tmp_path: Path) -> None:
    _, outcome = verified(tmp_path, ALIAS, "clinic")
    assert outcome.exit_code == 1
    assert len(outcome.messages) == 1, outcome.messages
    (message,) = outcome.messages
    assert "step derive: patients, cohort (cell 2)" in message
    assert "patients is changed in place through its alias cohort" in message
    assert "step report reads patients" in message and "step report fails" in message


def test_sparse_matrix_and_0d_array_outputs_verify(tmp_path: Path) -> None:
    project, outcome = verified(tmp_path, SPARSE, "texts")
    assert outcome.exit_code == 0, outcome.messages
    assert verdict(project, "texts")["steps"]["vectorize"]["outputs"] == {
        "counts": "equal",
        "total": "equal",
        "vec": "equal",
    }


def test_fitted_search_timings_are_not_a_divergence(tmp_path: Path) -> None:
    project, outcome = verified(tmp_path, SEARCH, "grid")
    assert outcome.exit_code == 0, outcome.messages
    assert verdict(project, "grid")["steps"]["search"]["outputs"]["search"] == "equal"


def test_cross_validate_timings_are_not_a_divergence(tmp_path: Path) -> None:
    project, outcome = verified(tmp_path, CROSS_VALIDATE, "wine")
    assert outcome.exit_code == 0, outcome.messages
    assert verdict(project, "wine")["steps"]["evaluate"]["outputs"] == {"cv": "equal"}


def test_helper_class_instances_are_read_back(tmp_path: Path) -> None:
    project, outcome = verified(tmp_path, HELPER_OBJECT, "stock")
    assert outcome.exit_code == 0, outcome.messages
    assert verdict(project, "stock")["steps"]["ship"]["outputs"] == {"main": "equal"}


def test_notebook_classes_rebuilt_from_artifacts_verify(tmp_path: Path) -> None:
    project, outcome = verified(tmp_path, CLASSES, "shapes")
    assert outcome.exit_code == 0, outcome.messages
    found = verdict(project, "shapes")
    assert found["steps"]["define"]["outputs"] == {
        "Kind": "equal",
        "Shape": "equal",
        "shapes": "equal",
    }
    assert found["steps"]["report"]["outputs"] == {"summary": "equal"}


def test_module_the_notebook_writes_is_shipped(tmp_path: Path) -> None:
    """`%%writefile mathutil.py` then `from mathutil import double` in a step: the module is
    shipped in steps/NAME/_modules (the image copies steps/NAME), so the pipeline runs where
    the notebook never ran, and the generated files do not depend on whether it ran here."""
    project, outcome = verified(tmp_path, WRITEFILE, "doubler")
    assert outcome.exit_code == 0, outcome.messages
    shipped = project / "steps" / "doubler" / "_modules" / "mathutil.py"
    text = shipped.read_text()
    assert "cell 0 writes this module (`%%writefile mathutil.py`)" in text
    assert "def double(x):\n    return 2 * x\n" in text
    assert (
        "COPY steps/doubler /app/steps/doubler"
        in (project / "steps" / "doubler" / "Dockerfile").read_text()
    )
    notebook = project / "notebooks" / "doubler.ipynb"
    (project / "notebooks" / "mathutil.py").unlink()  # a clean checkout, as in the image
    assert productionize(notebook, root=project, check=True).exit_code == 0
    _, failed = run_chain("doubler", tmp_path / "chain", project)
    assert failed == {}


def test_appended_module_with_its_own_imports_is_shipped_and_pinned(tmp_path: Path) -> None:
    project, outcome = verified(tmp_path, GEO_WRITEFILE, "rides")
    assert outcome.exit_code == 0, outcome.messages
    assert verdict(project, "rides")["steps"]["price"]["outputs"] == {"trips": "equal"}
    text = (project / "steps" / "rides" / "_modules" / "geo.py").read_text()
    assert "cell 0, 1 writes" in text and "def haversine" in text and "def fare" in text
    assert "numpy==" in (project / "steps" / "rides" / "requirements.txt").read_text()
    (project / "notebooks" / "geo.py").write_text("def fare(km):\n    return 0\n")  # stale
    uris, failed = run_chain("rides", tmp_path / "chain", project)
    assert failed == {}
    from workbench.runtime import read_value

    assert read_value(uris["price"]["trips"])["fare"].tolist() == [7.36, 7.93]  # not the stale 0s
