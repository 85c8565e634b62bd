"""The pure parts of `workbench run`: parameter parsing and merging, failure location, environment."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from workbench.execute.environment import environment, project_relative
from workbench.execute.errors import NotebookInputError
from workbench.execute.notebook import find_failure, read_notebook
from workbench.execute.params import (
    Overrides,
    default_value,
    merge_parameters,
    parse_overrides,
    parse_value,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("0.5", 0.5),
        ("1e-3", 0.001),
        ("True", True),
        ("None", None),
        ("007", 7),
        ("abc", "abc"),
    ],
)
def test_p_values_convert_like_papermill(text: str, value: object) -> None:
    assert parse_value(text) == value and type(parse_value(text)) is type(value)


def test_r_values_stay_strings_and_later_pairs_win() -> None:
    got = parse_overrides([("x", "007"), ("C", "0.5")], [("x", "007"), ("tag", "True")])
    assert got == Overrides({"C": "0.5"}, {"x": "007", "tag": "True"})


def test_defaults_are_literals_or_source_text() -> None:
    assert default_value('"data/raw.csv"') == "data/raw.csv"
    assert default_value("1.0") == 1.0
    assert default_value("np.log(2)") == "np.log(2)"


def test_unknown_parameter_names_it_and_lists_the_known_ones() -> None:
    with pytest.raises(
        NotebookInputError, match=r"nb\.ipynb: unknown parameter\(s\) c \(known: C, max_iter\)"
    ):
        merge_parameters("nb.ipynb", {"C": 1.0, "max_iter": 100}, {"c": 0.5})
    assert merge_parameters("nb.ipynb", {"C": 1.0}, {"C": 0.5}) == {"C": 0.5}


def test_failure_index_counts_only_the_users_cells() -> None:
    nb = nbformat.v4.new_notebook()
    injected = nbformat.v4.new_code_cell("alpha = 2", id="inj")
    injected.metadata["tags"] = ["injected-parameters"]
    marker = nbformat.v4.new_markdown_cell("An Exception was encountered", id="mark")
    marker.metadata["tags"] = ["papermill-error-cell-tag"]
    bad = nbformat.v4.new_code_cell("1/0", id="divide")
    bad.outputs = [
        nbformat.v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero", traceback=[]
        )
    ]
    nb.cells = [marker, nbformat.v4.new_code_cell("a = 1", id="params"), injected, bad]
    failure = find_failure(nb)
    assert failure is not None
    assert (failure.index, failure.cell_id) == (1, "divide")
    assert failure.describe() == "cell 1 (id 'divide') failed: ZeroDivisionError: division by zero"


def test_sys_exit_zero_is_not_a_failure() -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("raise SystemExit(0)")
    cell.outputs = [nbformat.v4.new_output("error", ename="SystemExit", evalue="0", traceback=[])]
    nb.cells = [cell]
    assert find_failure(nb) is None


def test_invalid_notebooks_are_input_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    with pytest.raises(NotebookInputError, match=r"broken\.ipynb: not a valid \.ipynb file"):
        read_notebook(broken)
    wrong = tmp_path / "wrong.ipynb"
    wrong.write_text('{"cells": 3, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}')
    with pytest.raises(NotebookInputError, match=r"wrong\.ipynb: not a valid \.ipynb file"):
        read_notebook(wrong)
    with pytest.raises(NotebookInputError, match=r"absent\.ipynb: notebook not found"):
        read_notebook(tmp_path / "absent.ipynb")


def test_environment_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WB_TEST_KEEP", "before")
    monkeypatch.delenv("WB_TEST_NEW", raising=False)
    with environment({"WB_TEST_KEEP": "during", "WB_TEST_NEW": "x"}):
        assert os.environ["WB_TEST_KEEP"] == "during" and os.environ["WB_TEST_NEW"] == "x"
    assert os.environ["WB_TEST_KEEP"] == "before" and "WB_TEST_NEW" not in os.environ


def test_project_relative_paths(tmp_path: Path) -> None:
    assert project_relative(tmp_path / "notebooks" / "a.ipynb", tmp_path) == "notebooks/a.ipynb"
    assert project_relative(Path("/elsewhere/a.ipynb"), tmp_path) == "/elsewhere/a.ipynb"
