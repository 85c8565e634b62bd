"""The pipeline's run structure on a tracking store: one parent run, a child run per step.

Read back after a rehearsal (the workflow's parent run is tagged with its Argo name) and after
the local `workbench pipeline run`, so the two structures can be compared: the same steps as
child runs of one parent, every run ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core.errors import WorkbenchError

PARENT_TAG = "mlflow.parentRunId"
WORKFLOW_TAG = "workbench.argo.workflow"  # workbench.tracking.pod_lineage.WORKFLOW_TAG


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


def differences(cluster: RunTree, local: RunTree) -> list[str]:
    """How the rehearsal's run structure differs from the local run's (empty: the same)."""
    found = []
    if set(cluster.children) != set(local.children):
        found.append(
            f"child runs: cluster {sorted(cluster.children)} != local {sorted(local.children)}"
        )
    for tree, where in ((cluster, "cluster"), (local, "local")):
        if len(tree.child_experiments) > 1:
            found.append(f"{where}: child runs in {len(tree.child_experiments)} experiments")
        open_runs = [s for s, status in tree.children.items() if status != "FINISHED"]
        if tree.parent_status != "FINISHED" or open_runs:
            found.append(f"{where}: parent {tree.parent_status}, unfinished steps {open_runs}")
    return found
