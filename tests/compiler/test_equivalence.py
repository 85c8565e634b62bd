"""The acceptance check: generated steps, run in order, compute what the notebook computed.

One papermill run per notebook (module-scoped): it records every step's inputs and outputs at
that point of the notebook, and the final values; the generated steps then run in-process, and
for one pipeline through their real `python -m` commands, and must reproduce them exactly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli.productionize import productionize
from workbench.compiler.record import record_notebook

from . import notebooks
from .harness import (
    REPO,
    compare_final,
    compare_with_notebook,
    make_project,
    run_commands,
    run_in_process,
    spec_of,
)

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rich notebook, productionized with the real CLI and --record (one papermill run)."""
    project = make_project(tmp_path_factory.mktemp("rich") / "proj")
    notebooks.write(notebooks.build(notebooks.RICH), project / "notebooks" / "rich.ipynb")
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "productionize", "notebooks/rich.ipynb", "--record"],
        cwd=project,
        env=_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "display-only magic `%matplotlib inline` dropped" in done.stderr
    return project


def test_rich_steps_in_process_match_the_notebook(rich: Path) -> None:
    spec = spec_of(rich, "rich")
    values = run_in_process(rich, spec)
    fixtures = rich / "tests" / "steps" / "rich" / "fixtures"
    assert compare_with_notebook(spec, values, fixtures) >= 20


def test_rich_step_commands_match_the_notebook(rich: Path, tmp_path: Path) -> None:
    spec = spec_of(rich, "rich")
    values = run_commands(rich, spec, tmp_path / "artifacts")
    fixtures = rich / "tests" / "steps" / "rich" / "fixtures"
    assert compare_with_notebook(spec, values, fixtures) >= 10
    # the mutated input is the mutating step's output, and the later reader gets that one
    assert spec.step("combine").input_sources == {"data": "mutate", "weighted": "mutate"}
    # `weighted` is bound in combine only in a branch that does not run: it passes through
    assert spec.step("report").input_sources["weighted"] == "combine"
    assert values[("combine", "weighted")] == values[("mutate", "weighted")] == [2, 4, 6]
    assert (values[("mutate", "data")][:2] == 3).all() and values[("mutate", "data")].min() >= 0


def test_generated_tests_pass_on_recorded_fixtures(rich: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/steps/rich"],
        cwd=rich,
        env=_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # one test per step, plus the chained test of the whole pipeline
    assert f"{len(spec_of(rich, 'rich').steps) + 1} passed" in done.stdout


def test_generated_test_fails_when_a_step_changes(rich: Path, tmp_path: Path) -> None:
    """The generated tests can fail: a changed step module no longer matches the recording."""
    import shutil

    copy = tmp_path / "proj"
    shutil.copytree(rich, copy)
    module = copy / "steps" / "rich" / "left.py"
    module.write_text(
        module.read_text().replace("left = normalize(data)", "left = normalize(data) + 1")
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/steps/rich/test_left.py",
        ],
        cwd=copy,
        env=_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stdout
    assert "left_sum" in done.stdout


@pytest.mark.parametrize("name", ["kale", "inventory"])
def test_foreign_notebooks_match_the_notebook(name: str, tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    path = notebooks.write(
        notebooks.build(getattr(notebooks, name.upper())), project / "nb" / f"{name}.ipynb"
    )
    outcome = productionize(path, root=project)
    assert outcome.exit_code == 0
    spec = spec_of(project, name)
    fixtures, final = tmp_path / "fixtures", tmp_path / "final"
    record_notebook(path, spec, fixtures, final=final)
    values = run_in_process(project, spec)
    assert compare_with_notebook(spec, values, fixtures) >= 4
    assert compare_final(spec, values, final) >= 2


def test_record_of_a_failing_notebook_writes_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    cells = [(["step:a"], "x = [1, 2]"), (["step:b"], "y = x[0] / 0")]
    notebooks.write(notebooks.build(cells), project / "broken.ipynb")
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "productionize", "broken.ipynb", "--record"],
        cwd=project,
        env=_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert (
        "broken.ipynb: --record: the notebook failed at run time (ZeroDivisionError" in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert not (project / "steps").exists() and not (project / "tests").exists()
