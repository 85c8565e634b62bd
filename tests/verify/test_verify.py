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
    FILE_EXPRESSIONS,
    GEO_WRITEFILE,
    HELPER_OBJECT,
    OUT_PARAM,
    SEARCH,
    SKIPPED_DOWNLOAD,
    SPARSE,
    WRITEFILE,
)
from workbench.cli.productionize import Outcome, productionize
from workbench.compiler import CompileError
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
    assert "cells 0, 1 write this module" in text and "def haversine" in text and "def fare" in text
    assert "numpy==" in (project / "steps" / "rides" / "requirements.txt").read_text()
    (project / "notebooks" / "geo.py").write_text("def fare(km):\n    return 0\n")  # stale
    uris, failed = run_chain("rides", tmp_path / "chain", project)
    assert failed == {}
    from workbench.runtime import read_value

    assert read_value(uris["price"]["trips"])["fare"].tolist() == [7.36, 7.93]  # not the stale 0s


def _retagged(cells: list[Cell], old: list[str], new: list[str]) -> list[Cell]:
    return [(new if tags == old else tags, source) for tags, source in cells]


def test_file_only_a_skipped_cell_writes_is_refused(tmp_path: Path) -> None:
    """The notebook ran here (ratings.csv left beside it): --verify still refuses, naming the
    skipped cell, the file and the reading step, with the fixes."""
    project = make_project(tmp_path / "movies")
    notebook = write(build(SKIPPED_DOWNLOAD), project / "notebooks" / "movies.ipynb")
    (project / "notebooks" / "ratings.csv").write_text("user,movie,rating\n1,10,4\n")
    with pytest.raises(CompileError) as caught:
        productionize(notebook, root=project, verify=True)
    message = str(caught.value)
    assert caught.value.exit_code == 2
    assert "cell 2 (id cell-2), line 2" in message
    assert "step 'load' reads the file 'ratings.csv' (cell 3, line 1)" in message
    assert "only the skipped cell 2" in message and "tag cell 2 `step:NAME`" in message
    # the hint's fix: the cell tagged into a step the reader runs after, on a clean checkout
    cells = _retagged(SKIPPED_DOWNLOAD, ["skip"], ["step:fetch"])
    cells = _retagged(cells, ["step:load"], ["step:load", "after:fetch"])
    project, outcome = verified(tmp_path, cells, "movies2")
    assert outcome.exit_code == 0, outcome.messages
    (project / "notebooks" / "ratings.csv").unlink()
    uris, failed = run_chain("movies2", tmp_path / "chain", project)
    assert failed == {}
    from workbench.runtime import read_value

    assert read_value(uris["load"]["liked"])["movie"].tolist() == [10, 10, 12]


def test_file_a_skipped_cell_writes_read_through_a_parameter_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cells = [
        (["parameters"], "min_rating = 3\nratings_file = 'ratings.csv'"),
        *SKIPPED_DOWNLOAD[1:3],
        (
            ["step:load"],
            "ratings = pd.read_csv(ratings_file)\nliked = ratings[ratings.rating >= 3]",
        ),
        SKIPPED_DOWNLOAD[4],
    ]
    _, outcome = verified(tmp_path, cells, "movies")
    assert outcome.exit_code == 0, outcome.messages
    said = capsys.readouterr().err
    assert "warning: step 'load' reads the file 'ratings.csv'" in said
    assert "only the skipped cell 2" in said and "--param" in said


def test_file_paths_built_from_parameters_order_the_steps(tmp_path: Path) -> None:
    project = make_project(tmp_path / "sales")
    notebook = write(build(FILE_EXPRESSIONS), project / "notebooks" / "sales.ipynb")
    with pytest.raises(CompileError) as caught:
        productionize(notebook, root=project, verify=True)
    message = str(caught.value)
    assert "cell 3 (id cell-3), line 1" in message
    assert "'work/sales_north_02.csv', which step 'prepare' writes (cell 2, line 3)" in message
    ordered = _retagged(FILE_EXPRESSIONS, ["step:report"], ["step:report", "after:prepare"])
    project, outcome = verified(tmp_path, ordered, "sales2")
    assert outcome.exit_code == 0, outcome.messages
    for left in (project / "notebooks" / "work").iterdir():
        left.unlink()  # a clean checkout: only the pipeline's prepare step writes it
    _, failed = run_chain("sales2", tmp_path / "chain", project)
    assert failed == {}
