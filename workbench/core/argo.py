"""Names the Argo manifests, `workbench run` and the sweep's best-run step must agree on.

A papermill container gets the workflow's name in WORKFLOW_ENV (`{{workflow.name}}`);
`workbench run` stores it on its MLflow run as WORKFLOW_TAG, and the sweep's best-run step
compares only the runs carrying its own workflow's name, so runs of other sweeps, notebook runs
and laptop runs in the same experiment never win a sweep they were not part of.
"""

from __future__ import annotations

WORKFLOW_ENV = "WORKBENCH_WORKFLOW"
WORKFLOW_TAG = "workbench.argo.workflow"
