"""The example notebook, executed by papermill in a real kernel, through the tracking API."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_example_notebook_tracks_registers_and_promotes(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow
    import papermill

    from workbench.core.hashing import sha256_file
    from workbench.demo import write_demo_data
    from workbench.models.store import SHA256_TAG, STORE_URI_TAG
    from workbench.tracking.config import configure

    write_demo_data(project / "data")
    monkeypatch.setenv("WORKBENCH_NOTEBOOK", "notebooks/train.ipynb")  # as `workbench run` sets
    papermill.execute_notebook(
        str(REPO / "notebooks" / "train.ipynb"),
        str(project / "out.ipynb"),
        parameters={"C": 0.5},
        kernel_name="python3",
        cwd=str(project),
        progress_bar=False,
    )
    configure()
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name("breast-cancer")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED" and run.info.run_name == "train"
    assert run.data.params["C"] == "0.5"
    assert set(run.data.metrics) == {"accuracy", "f1", "roc_auc", "log_loss"}
    assert 0.9 < run.data.metrics["roc_auc"] <= 1.0
    tags = run.data.tags
    assert tags["workbench.notebook"] == "notebooks/train.ipynb"
    assert tags["workbench.cell"].endswith("wbt.set_experiment(experiment)")  # the train cell
    cells = client.list_artifacts(run.info.run_id, "workbench/cells")
    assert len(cells) == 2  # train opened the run, evaluate resumed it
    assert [d.dataset.name for d in run.inputs.dataset_inputs] == ["breast-cancer-train"]

    mv = client.get_model_version("breast-cancer", "1")
    assert mv.run_id == run.info.run_id
    assert mv.tags[SHA256_TAG] == sha256_file(mv.tags[STORE_URI_TAG])
    assert mv.tags["workbench.promotion.decision"] == "promoted"
    assert float(mv.tags["workbench.promotion.candidate_value"]) == pytest.approx(
        run.data.metrics["roc_auc"]
    )
    champion = client.get_model_version_by_alias("breast-cancer", "champion")
    assert str(champion.version) == "1"

    # Again as `workbench run` executes it: the manager's run id in the kernel's environment.
    manager_run = client.create_run(experiment.experiment_id, run_name="manager").info.run_id
    monkeypatch.setenv("MLFLOW_RUN_ID", manager_run)
    papermill.execute_notebook(
        str(REPO / "notebooks" / "train.ipynb"),
        str(project / "out2.ipynb"),
        parameters={"C": 0.01},
        kernel_name="python3",
        cwd=str(project),
        progress_bar=False,
    )
    assert len(client.search_runs([experiment.experiment_id])) == 2  # no run of its own
    managed = client.get_run(manager_run)
    assert managed.data.params["C"] == "0.01"
    assert set(managed.data.metrics) == {"accuracy", "f1", "roc_auc", "log_loss"}
    v2 = client.get_model_version("breast-cancer", "2")
    assert v2.run_id == manager_run
    decision = v2.tags["workbench.promotion.decision"]
    aliases = {a: str(v) for a, v in client.get_registered_model("breast-cancer").aliases.items()}
    better = managed.data.metrics["roc_auc"] > run.data.metrics["roc_auc"]
    assert decision == ("promoted" if better else "rejected")
    if better:
        assert aliases == {"champion": "2"}
    else:
        assert aliases == {"champion": "1", "challenger": "2"}
