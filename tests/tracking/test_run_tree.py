"""workbench.tracking.run_tree: what the rehearsal compares, read from a real MLflow store."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient

from workbench.core.errors import WorkbenchError
from workbench.tracking.lineage import PARENT_TAG
from workbench.tracking.pod_lineage import WORKFLOW_TAG
from workbench.tracking.run_tree import read_tree, store_state


def test_read_tree_and_store_state(project: Path) -> None:
    uri = f"sqlite:///{project / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    with pytest.raises(WorkbenchError, match="no experiment 'pipeline-demo'"):
        read_tree(uri, "demo")
    experiment = client.create_experiment("pipeline-demo")
    parents = []
    for workflow in ("demo-a", "demo-b"):
        parent = client.create_run(experiment, tags={WORKFLOW_TAG: workflow})
        parents.append(parent.info.run_id)
        for step, status in (("load", "FINISHED"), ("fit", "FAILED")):
            child = client.create_run(
                experiment, tags={PARENT_TAG: parent.info.run_id, "workbench.step": step}
            )
            client.set_terminated(child.info.run_id, status)
        client.set_terminated(parent.info.run_id, "FINISHED")
    tree = read_tree(uri, "demo", "demo-a")
    assert tree.parent_id == parents[0] and tree.parent_status == "FINISHED"
    assert tree.children == {"load": "FINISHED", "fit": "FAILED"}
    assert tree.child_experiments == {experiment}
    assert read_tree(uri, "demo").parent_id in parents
    with pytest.raises(WorkbenchError, match="no parent run of demo-z"):
        read_tree(uri, "demo", "demo-z")

    client.create_registered_model("m")
    for _ in range(2):
        client.create_model_version("m", source=str(project), run_id=parents[0])
    assert store_state(uri) == ({"m": ["1", "2"]}, 6)
