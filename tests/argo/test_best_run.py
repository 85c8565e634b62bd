"""`python -m workbench.tracking.best_run`: the sweep's final step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.tracking.best_run import main


def _log_runs(experiment: str) -> dict[str, str]:
    """Four runs: three finished with roc_auc/log_loss, one failed with the best score."""
    import mlflow

    from workbench.tracking.config import configure

    configure(experiment)
    ids = {}
    for name, auc, loss in (("a", 0.91, 0.30), ("b", 0.95, 0.35), ("c", 0.80, 0.20)):
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_param("C", name)
            mlflow.log_metrics({"roc_auc": auc, "log_loss": loss})
            ids[name] = run.info.run_id
    with mlflow.start_run(run_name="crashed") as run:
        mlflow.log_metric("roc_auc", 0.99)
        ids["crashed"] = run.info.run_id
    mlflow.MlflowClient().set_terminated(ids["crashed"], status="FAILED")
    with mlflow.start_run(run_name="no-metric"):
        mlflow.log_param("C", "none")
    return ids


@pytest.mark.slow
def test_best_run_by_metric_and_direction(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _log_runs("sweep")
    out = project / "out" / "best.json"
    assert main(["--experiment", "sweep", "--metric", "roc_auc", "--output", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    assert (printed["run_id"], printed["value"]) == (ids["b"], 0.95)
    assert printed["params"] == {"C": "b"} and printed["direction"] == "max"

    assert main(["--experiment", "sweep", "--metric", "log_loss", "--lower-is-better"]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == ids["c"]
    assert main(["--experiment", "sweep", "--metric", "log_loss", "--direction", "min"]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == ids["c"]

    assert main(["--experiment", "sweep", "--metric", "f1"]) == 1
    assert "no finished run has a metric 'f1'" in capsys.readouterr().err
    assert main(["--experiment", "missing", "--metric", "f1"]) == 1
    assert "experiment 'missing' not found" in capsys.readouterr().err


def _log_sweep(workflow: str | None, scores: dict[str, float]) -> dict[str, str]:
    """Finished runs tagged as `workbench run` tags them inside an Argo workflow (untagged: a
    run outside Argo)."""
    import mlflow

    from workbench.core.argo import WORKFLOW_TAG

    ids = {}
    for name, auc in scores.items():
        tags = {WORKFLOW_TAG: workflow} if workflow is not None else {}
        with mlflow.start_run(run_name=name, tags=tags) as run:
            mlflow.log_metric("roc_auc", auc)
            ids[name] = run.info.run_id
    return ids


@pytest.mark.slow
def test_best_run_sees_only_its_own_workflow(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from workbench.tracking.config import configure

    configure("sweep")
    ours = _log_sweep("train-sweep-aaaaa", {"ours-1": 0.81, "ours-2": 0.86})
    other = _log_sweep("train-sweep-bbbbb", {"other-1": 0.97})
    laptop = _log_sweep(None, {"laptop": 0.99})
    args = ["--experiment", "sweep", "--metric", "roc_auc"]

    assert main([*args, "--workflow", "train-sweep-aaaaa"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["run_id"], found["value"]) == (ours["ours-2"], 0.86)
    assert found["workflow"] == "train-sweep-aaaaa"
    assert main([*args, "--workflow", "train-sweep-bbbbb"]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == other["other-1"]
    assert main([*args, "--workflow", "train-sweep-bbbbb", "--direction", "min"]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == other["other-1"]
    assert main(args) == 0  # without --workflow: every finished run, as before
    assert json.loads(capsys.readouterr().out)["run_id"] == laptop["laptop"]

    assert main([*args, "--workflow", "train-sweep-ccccc"]) == 1
    assert "no finished run of workflow 'train-sweep-ccccc'" in capsys.readouterr().err
    assert main([*args, "--workflow", "x' or '1' = '1"]) == 1
    assert "expected an Argo workflow name" in capsys.readouterr().err


def test_run_filter_names_the_tag() -> None:
    from workbench.tracking.best_run import run_filter

    assert run_filter(None) == "attributes.status = 'FINISHED'"
    assert run_filter("wf-1") == (
        "attributes.status = 'FINISHED' and tags.\"workbench.argo.workflow\" = 'wf-1'"
    )
