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
