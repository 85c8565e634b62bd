"""The real example: steps/train compiled from notebooks/train.ipynb, run by the local runner.

Same metrics as the notebook executed by papermill, and a second run is all cache hits (the
train-only parameter change is shown by benchmarks/pipeline.py, case (e)).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO
from workbench.core.settings import settings
from workbench.runner import RunOptions, run_pipeline
from workbench.runner.store import ArtifactStore
from workbench.runtime import read_value

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_example_pipeline_matches_papermill_and_caches(project: Path) -> None:
    import mlflow
    import papermill

    from workbench.demo import write_demo_data

    write_demo_data(project / "data")
    shutil.copytree(REPO / "steps", project / "steps", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "notebooks").mkdir()
    shutil.copy(REPO / "notebooks" / "train.ipynb", project / "notebooks" / "train.ipynb")

    papermill.execute_notebook(
        "notebooks/train.ipynb",
        str(project / "out.ipynb"),
        kernel_name="python3",
        cwd=str(project),
        progress_bar=False,
    )
    result = run_pipeline("train", RunOptions(lineage="off"))
    assert result.ok, {n: s.error for n, s in result.steps.items()}

    store = ArtifactStore(settings().artifact_store)
    run_id = read_value(store.output_uri("train", "train", result.steps["train"].key, "run_id"))
    client = mlflow.MlflowClient(tracking_uri=settings().tracking_uri)
    pipeline_metrics = client.get_run(run_id).data.metrics
    experiment = client.get_experiment_by_name("breast-cancer")
    notebook_runs = [
        r
        for r in client.search_runs([experiment.experiment_id])
        if r.info.run_id != run_id and "roc_auc" in r.data.metrics
    ]
    assert len(notebook_runs) == 1
    expected = notebook_runs[0].data.metrics
    for name in ("accuracy", "f1", "roc_auc", "log_loss"):
        assert pipeline_metrics[name] == pytest.approx(expected[name], rel=1e-9), name

    again = run_pipeline("train", RunOptions(lineage="off"))
    assert again.ok and again.executed == []
