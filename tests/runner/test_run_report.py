"""`workbench pipeline run` on a productionized churn notebook, through the real CLI:

- the summary shows the metrics the steps logged, the promotion decision and an MLflow link;
- a re-run that refits the identical model registers no new version (the champion is reused);
- a failing step names the notebook cell and line next to the step module's frame;
- editing a tagged cell after productionize makes `pipeline run` say the steps are stale
  (`--refuse-stale`: exit 2, nothing run), and so does `pipeline submit`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.project_helpers import ISOLATED_ENV, make_project
from workbench.verify.staleness import is_stale

pytestmark = pytest.mark.slow

NOTEBOOK = "notebooks/churn.ipynb"
CELLS = [
    ("parameters", 'n_rows = 300\nC = 1.0\nmin_auc = 0.5\nmodel_name = "churn-e2e"'),
    (
        "imports",
        "import numpy as np\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
        "from sklearn.metrics import roc_auc_score\nimport workbench.tracking as wbt",
    ),
    (
        "step:load",
        "rng = np.random.default_rng(3)\n"
        'frame = pd.DataFrame({"tenure": rng.integers(1, 72, n_rows).astype(float),\n'
        '                      "monthly": rng.normal(70, 20, n_rows)})\n'
        'frame["churned"] = ((frame["tenure"] < 18) ^ (rng.random(n_rows) < 0.1)).astype(int)',
    ),
    (
        "step:train",
        'X, y = frame[["tenure", "monthly"]], frame["churned"]\n'
        'wbt.set_experiment("churn")\n'
        'with wbt.start_run(run_name="train") as run:\n'
        "    model = LogisticRegression(C=C, max_iter=500).fit(X, y)\n"
        "    auc = roc_auc_score(y, model.predict_proba(X)[:, 1])\n"
        '    run.log_metrics({"roc_auc": auc, "n_rows": float(n_rows)})\n'
        "    info = run.log_model(model, register=model_name)\n"
        "    model_version = info.version",
    ),
    (
        "step:gate",
        'decision = wbt.promote(model_name, model_version, metric="roc_auc", X=X, y=y)\n'
        "print(decision)",
    ),
    (
        "step:check",
        "# a quality bar: the run fails loudly below it\n"
        "if auc < min_auc:\n"
        '    raise ValueError(f"roc_auc {auc:.3f} is below the bar {min_auc}")\n'
        "checked = True",
    ),
]


def write_notebook(path: Path, cells: list[tuple[str, str]]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for index, (tag, source) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source, id=f"c{index}")
        cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("report") / "proj")
    write_notebook(root / NOTEBOOK, CELLS)
    done = cli(root, "productionize", NOTEBOOK)
    assert done.returncode == 0, done.stderr
    return root


def versions(root: Path) -> list[int]:
    code = (
        "import mlflow; from workbench.tracking.config import configure; configure(); "
        "print(sorted(int(v.version) for v in mlflow.MlflowClient()"
        ".search_model_versions(\"name = 'churn-e2e'\")))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return [int(v) for v in out.stdout.strip().strip("[]").split(",") if v.strip()]


def test_summary_reuse_and_failure_mapping(project: Path) -> None:
    first = cli(project, "pipeline", "run", "churn", "--lineage", "wait")
    assert first.returncode == 0, first.stderr
    out = first.stderr
    (project / "first-run.txt").write_text(out)  # kept for a look when the test fails
    assert "stale" not in out
    assert re.search(r"metrics \(train\): n_rows=300  roc_auc=0\.\d+", out), out
    # the embedded SQLite store has no server: the line says how to open the run
    assert re.search(
        r"MLflow: run `workbench ui`, then open http://127\.0\.0\.1:5000/#/experiments/\d+/runs/"
        r"[0-9a-f]{32}",
        out,
    ), out
    assert "model (train): churn-e2e v1 (registered)" in out
    assert "promotion (gate): churn-e2e v1: PROMOTED to champion; first champion" in out
    assert re.search(r"pipeline run in MLflow: .*#/experiments/\d+/runs/[0-9a-f]{32}", out), out

    # the same data and parameters, every step executed again: the refit equals the champion
    again = cli(project, "pipeline", "run", "churn", "--no-cache", "--lineage", "off")
    assert again.returncode == 0, again.stderr
    assert "model (train): churn-e2e v1 (reused: identical to the champion" in again.stderr
    assert "v1 already holds champion; nothing changed" in again.stderr
    assert versions(project) == [1]

    # a failing step: the traceback frame of steps/churn/check.py names the notebook cell
    failed = cli(project, "pipeline", "run", "churn", "-p", "min_auc=1.5", "--lineage", "off")
    assert failed.returncode == 1
    check_cell = next(i for i, (tag, _) in enumerate(CELLS) if tag == "step:check")
    raise_line = (
        CELLS[check_cell][1]
        .splitlines()
        .index('    raise ValueError(f"roc_auc {auc:.3f} is below the bar {min_auc}")')
        + 1
    )
    where = f"{NOTEBOOK}, cell {check_cell} (step:check), line {raise_line}"
    assert f"-> {where}" in failed.stderr, failed.stderr
    assert f"step check failed at {where}: ValueError: roc_auc" in failed.stderr


def test_editing_a_tagged_cell_makes_the_steps_stale(project: Path) -> None:
    assert not is_stale(project, NOTEBOOK).stale
    edited = [*CELLS]
    tag, source = edited[3]
    edited[3] = (tag, source.replace("max_iter=500", "max_iter=800"))
    write_notebook(project / NOTEBOOK, edited)

    report = is_stale(project, NOTEBOOK, steps_only=True)
    assert report.stale and "steps/churn/train.py" in report.changed
    assert report.to_dict()["message"].startswith(f"the steps are stale: {NOTEBOOK} changed")

    warned = cli(project, "pipeline", "run", "churn", "--lineage", "off")
    assert f"warning: the steps are stale: {NOTEBOOK} changed after steps/churn/" in warned.stderr
    assert "--refuse-stale" in warned.stderr

    refused = cli(project, "pipeline", "run", "churn", "--refuse-stale", "--lineage", "off")
    assert refused.returncode == 2
    assert f"error: the steps are stale: {NOTEBOOK}" in refused.stderr
    assert "load:" not in refused.stderr  # nothing ran

    submitted = cli(
        project,
        "pipeline",
        "submit",
        "churn",
        "--overlay",
        "staging",
        "--refuse-stale",
        "--dry-run",
    )
    assert submitted.returncode == 2
    assert f"error: the steps are stale: {NOTEBOOK}" in submitted.stderr

    # productionize --check sees the same drift; productionize makes the steps current again
    assert cli(project, "productionize", NOTEBOOK, "--check").returncode == 1
    assert cli(project, "productionize", NOTEBOOK).returncode == 0
    assert not is_stale(project, NOTEBOOK).stale
