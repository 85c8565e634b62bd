"""Issue 10, item 3: each divergence found so far, as a notebook of our own.

Each test runs the notebook once with papermill (recording every step's outputs at that point of
the notebook) and the generated steps chained through their real `python -m` commands, each on
the outputs of the generated upstream steps, as `workbench pipeline run` runs them. The pipeline
must compute the notebook's values, or productionize must refuse (exit 2) naming the cell.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from . import notebooks, regressions
from .harness import REPO, chained, make_project, refused

pytestmark = pytest.mark.slow


def test_estimators_refitted_in_a_loop(tmp_path: Path) -> None:
    values = chained(tmp_path, "refit", regressions.LOOP_REFIT)
    assert set(values[("score", "scores")]) == {"ridge", "lasso", "tree"}  # type: ignore[arg-type]


def test_kaggle_combine_list_of_frames(tmp_path: Path) -> None:
    values = chained(tmp_path, "titanic", regressions.COMBINE)
    assert values[("summary", "title_counts")] == {"Miss": 1, "Mr": 2, "Mrs": 1}


def test_methods_and_library_calls_that_change_their_argument(tmp_path: Path) -> None:
    values = chained(tmp_path, "scheduler", regressions.METHODS)
    assert values[("report", "first")] == (1, "deploy")
    assert values[("report", "entries")] == ["scheduled"]


def test_helper_changing_a_keyword_argument(tmp_path: Path) -> None:
    values = chained(tmp_path, "energy", regressions.KEYWORD_HELPER)
    assert values[("report", "columns")] == ["site", "kwh", "kwh_per_m2", "label"]


def test_every_generator_draw_advances_it(tmp_path: Path) -> None:
    chained(tmp_path, "claims", regressions.GENERATOR_DRAWS)


def test_state_in_a_functions_cell_used_by_two_steps_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, "tickets", regressions.HELPER_STATE)
    assert "cell 2" in message and "TICKETS" in message and "RNG" in message


def test_global_library_state_is_carried_to_later_steps(tmp_path: Path) -> None:
    values = chained(tmp_path, "sensors", regressions.GLOBAL_STATE)
    assert values[("scale", "kind")] == "DataFrame"
    assert values[("show", "array_text")] == "array([1.23, 2.35])"
    assert values[("show", "width")] == 3.5


def test_global_generator_drawn_from_in_two_steps_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, "warm", regressions.GLOBAL_DRAWS)
    assert "cell 2" in message and "np.random" in message


def test_function_reading_a_rebound_global_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, "labels", regressions.REBOUND_GLOBAL)
    assert "cell 1" in message and "`cutoff`" in message and "label" in message


def test_global_statement_in_a_step_function_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, "counter", regressions.GLOBAL_STATEMENT)
    assert "cell 0 (id cell-0), line 5" in message and "global counter" in message


def test_steps_run_in_the_notebook_folder(tmp_path: Path) -> None:
    values = chained(tmp_path, "meters", regressions.WORKDIR, regressions.WORKDIR_FILES)
    assert values[("daily", "cost")] == round(11.25 * 0.31, 6)
    dockerfile = (tmp_path / "proj" / "steps" / "meters" / "Dockerfile").read_text()
    assert 'COPY ["notebooks/meter_utils.py", "/app/notebooks/meter_utils.py"]' in dockerfile
    ignore = (tmp_path / "proj" / "steps" / "meters" / ".dockerignore").read_text()
    assert "!notebooks/meter_utils.py" in ignore


def test_get_ipython_in_a_step_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, "ipy", regressions.IPYTHON_CALL)
    assert "cell 1 (id cell-1), line 1" in message and "get_ipython" in message


def test_generator_crossing_a_step_boundary_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, "gen", regressions.GENERATOR_VALUE)
    assert "cell 0 (id cell-0), line 1" in message and "`batches`" in message


def test_after_edge_is_part_of_the_cache_key(tmp_path: Path) -> None:
    """A step ordered `after:` a re-run step re-runs too: the side effect it waits for changed."""
    project = make_project(tmp_path / "proj")
    cells: list[notebooks.Cell] = [
        (["parameters"], 'title = "draft"'),
        (["imports"], "from pathlib import Path"),
        (["step:export"], "Path('report.txt').write_text(title)"),
        (["step:publish", "after:export"], "published = Path('report.txt').read_text()"),
        (["pipeline-metrics"], "print(published)"),
    ]
    notebooks.write(notebooks.build(cells), project / "notebooks" / "report.ipynb")
    env = {**os.environ, "PYTHONPATH": str(REPO), "MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"}

    def run(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "workbench", *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    run("productionize", "notebooks/report.ipynb")
    run("pipeline", "run", "report", "--lineage", "off", "-p", "title=draft")
    run("pipeline", "run", "report", "--lineage", "off", "-p", "title=final")
    from workbench.runtime import read_value

    outputs = sorted((project / ".workbench" / "artifacts" / "report" / "publish").glob("*"))
    published = {read_value(str(p / "published")) for p in outputs if (p / "published").is_dir()}
    assert published == {"draft", "final"}


def test_assignment_targets_read_every_name_they_use(tmp_path: Path) -> None:
    values = chained(tmp_path, "ledger", regressions.TARGET_READS)
    assert str(values[("close", "third")]) == "0.333333"  # the decimal context, replayed
    assert values[("close", "rent")] == "171.429"


def test_file_written_by_one_step_and_read_by_an_unordered_one(tmp_path: Path) -> None:
    message = refused(tmp_path / "a", "weather", regressions.SHARED_FILE)
    assert "cell 4 (id cell-4), line 1" in message and "'clean_obs.csv'" in message
    assert "step 'clean' writes (cell 3, line 2)" in message and "after:clean" in message
    ordered = [
        (["step:stats", "after:clean"], s) if t == ["step:stats"] else (t, s)
        for t, s in regressions.SHARED_FILE
    ]
    values = chained(tmp_path / "b", "weather", ordered, regressions.SHARED_FILE_FILES)
    assert values[("stats", "means")] == {"A": 0.1667, "B": -0.5}
