"""A pipeline's run structure on a tracking store, and what a store holds: read back after a
rehearsal (the workflow's parent run is tagged with its Argo name) and after the local
`workbench pipeline run`, so that workbench.deploy.rehearse can compare them without mlflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core.errors import WorkbenchError
from workbench.tracking.lineage import PARENT_TAG
from workbench.tracking.pod_lineage import WORKFLOW_TAG


@dataclass(frozen=True)
class RunTree:
    experiment: str
    parent_id: str
    parent_status: str
    children: dict[str, str] = field(default_factory=dict)  # step -> status
    child_experiments: frozenset[str] = frozenset()  # must be the parent's alone


def read_tree(uri: str, pipeline: str, workflow: str | None = None) -> RunTree:
    """The newest parent run of `pipeline` (of Argo workflow `workflow` if given) on `uri`."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    name = f"pipeline-{pipeline}"
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        raise WorkbenchError(f"{uri}: no experiment {name!r}: the pipeline made no parent run")
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    parents = [r for r in runs if PARENT_TAG not in r.data.tags]
    if workflow is not None:
        parents = [r for r in parents if r.data.tags.get(WORKFLOW_TAG) == workflow]
    if not parents:
        raise WorkbenchError(f"{uri}: no parent run of {workflow or pipeline} in {name!r}")
    parent = max(parents, key=lambda r: r.info.start_time or 0)
    # a child run may be in any experiment: search them all, by the parent tag's value
    every = [e.experiment_id for e in client.search_experiments()]
    children = [
        r
        for r in client.search_runs(every, max_results=5000)
        if r.data.tags.get(PARENT_TAG) == parent.info.run_id
    ]
    return RunTree(
        experiment=name,
        parent_id=parent.info.run_id,
        parent_status=parent.info.status,
        children={
            r.data.tags.get("workbench.step", r.info.run_name): r.info.status for r in children
        },
        child_experiments=frozenset(r.info.experiment_id for r in children),
    )


def store_state(uri: str) -> tuple[dict[str, list[str]], int]:
    """(registered model name -> its versions, number of runs) on the store at `uri`."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    registered = {}
    for model in client.search_registered_models():
        versions = client.search_model_versions(f"name='{model.name}'")
        registered[model.name] = sorted(str(v.version) for v in versions)
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = len(client.search_runs(experiments, max_results=1000)) if experiments else 0
    return registered, runs
