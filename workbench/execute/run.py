"""`run_notebook`: execute a notebook with papermill as exactly one MLflow run.

The run is created here, before the kernel starts, so its id can be handed to the kernel
(MLFLOW_RUN_ID) and so the executed notebook can be attached to it whatever happens in the cells.
Input is validated first (`plan.plan_run`): bad input never leaves a RUNNING run behind.
"""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.argo import WORKFLOW_ENV, WORKFLOW_TAG
from workbench.core.errors import WorkbenchError
from workbench.core.git import head_commit
from workbench.core.settings import PROJECT_ENV, Settings, settings
from workbench.execute.environment import environment
from workbench.execute.errors import NotebookFailed
from workbench.execute.notebook import CellFailure, find_failure, read_notebook
from workbench.execute.params import param_text
from workbench.execute.plan import RunPlan, plan_run
from workbench.tracking.context import (
    GIT_COMMIT_TAG,
    NOTEBOOK_ENV,
    NOTEBOOK_TAG,
    SOURCE_NAME_TAG,
    SOURCE_TYPE_TAG,
)
from workbench.tracking.runs import RUN_ID_ENV

ARTIFACT_DIR = "notebook"
RUNS_DIR = ".workbench/runs"


@dataclass(frozen=True)
class NotebookRun:
    """A finished execution: the MLflow run and the executed notebook on disk."""

    run_id: str
    experiment_id: str
    experiment: str
    notebook: str  # project-relative path
    output: Path
    parameters: dict[str, Any] = field(default_factory=dict)


def _tags(rel: str, root: Path, env: Mapping[str, str] = os.environ) -> dict[str, str]:
    tags = {
        SOURCE_NAME_TAG: rel,
        SOURCE_TYPE_TAG: "NOTEBOOK",
        NOTEBOOK_TAG: rel,
        "workbench.executor": "papermill",
    }
    workflow = env.get(WORKFLOW_ENV, "").strip()
    if workflow:  # set by the Argo notebook templates: the sweep's best run filters on it
        tags[WORKFLOW_TAG] = workflow
    commit = head_commit(root)
    if commit:
        tags[GIT_COMMIT_TAG] = commit
    with contextlib.suppress(KeyError, OSError):  # no passwd entry in some containers
        tags["mlflow.user"] = getpass.getuser()
    return tags


def _open_run(plan: RunPlan, cfg: Settings, run_name: str | None) -> tuple[Any, str, str]:
    """(client, experiment id, run id); an unreachable or broken store is a WorkbenchError."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from workbench.data.uris import redact
    from workbench.tracking.config import configure

    try:
        experiment_id = configure(plan.experiment)
        assert experiment_id is not None  # configure returns an id whenever a name is given
        client = MlflowClient()
        run = client.create_run(
            experiment_id, run_name=run_name or plan.path.stem, tags=_tags(plan.rel, cfg.root)
        )
    except (MlflowException, ImportError, WorkbenchError) as exc:  # ImportError: no driver
        if isinstance(exc, MlflowException):
            detail = exc.message
        elif isinstance(exc, ImportError):
            detail = f"missing driver: {exc}"
        else:  # configure's reachability check: already names host and port only
            detail = str(exc)
        raise WorkbenchError(
            f"MLflow tracking store {redact(cfg.tracking_uri)}: {redact(detail)}"
        ) from exc
    return client, experiment_id, run.info.run_id


def _log_params(client: Any, run_id: str, params: Mapping[str, Any]) -> None:
    from workbench.tracking.batch import log_params_batched

    log_params_batched(client, run_id, {k: param_text(v) for k, v in params.items()})


def _execute(
    path: Path, output: Path, overrides: Mapping[str, Any], cwd: Path, env: Mapping[str, str]
) -> CellFailure | None:
    """Run papermill; return the failing cell (None on success). Output is written either way."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    with environment(env):
        try:
            papermill.execute_notebook(
                str(path),
                str(output),
                parameters=dict(overrides),
                cwd=str(cwd),
                progress_bar=False,
                log_output=False,
            )
        except PapermillExecutionError as exc:
            found = find_failure(read_notebook(output)) if output.is_file() else None
            return found or CellFailure(None, None, exc.exec_count, exc.ename, exc.evalue)
        except Exception as exc:  # the kernel died or timed out: no cell output to point at
            return CellFailure(None, None, None, type(exc).__name__, str(exc))
    return None


def run_notebook(
    notebook: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    output: str | Path | None = None,
    cwd: str | Path | None = None,
    experiment: str | None = None,
    run_name: str | None = None,
    announce: Callable[[str], None] | None = None,
) -> NotebookRun:
    """Execute `notebook` with `parameters` overriding its `parameters` cell, as one MLflow run.

    Raises NotebookInputError (nothing executed, no run) or NotebookFailed (run FAILED, executed
    notebook attached). The executed notebook goes to `.workbench/runs/<run_id>/` by default.
    `announce` receives one line when execution starts (the CLI prints it).
    """
    cfg = settings()
    plan = plan_run(
        notebook, parameters, root=cfg.root, output=output, cwd=cwd, experiment=experiment
    )
    client, experiment_id, run_id = _open_run(plan, cfg, run_name)
    target = plan.output or cfg.root / RUNS_DIR / run_id / plan.path.name
    status = "FAILED"
    failure: CellFailure | None = None
    try:
        _log_params(client, run_id, plan.params)
        target.parent.mkdir(parents=True, exist_ok=True)
        env = {
            RUN_ID_ENV: run_id,
            "MLFLOW_EXPERIMENT_ID": experiment_id,
            "MLFLOW_TRACKING_URI": cfg.tracking_uri,
            "MLFLOW_REGISTRY_URI": cfg.registry_uri,
            NOTEBOOK_ENV: plan.rel,
            PROJECT_ENV: str(cfg.root),
        }
        if announce:
            announce(f"executing {plan.rel} as run {run_id} (experiment {plan.experiment!r})")
        failure = _execute(plan.path, target, plan.overrides, plan.kernel_cwd, env)
        status = "FINISHED" if failure is None else "FAILED"
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    finally:
        # Attach whatever was executed, then close the run: success, failure or interrupt alike.
        try:
            if target.is_file():
                client.log_artifact(run_id, str(target), ARTIFACT_DIR)
        finally:
            client.set_terminated(run_id, status)
    if failure is not None:
        raise NotebookFailed(
            f"{plan.rel}: {failure.describe()}\n"
            f"run {run_id} is FAILED; executed notebook: {target}",
            run_id=run_id,
            cell_index=failure.index,
            cell_id=failure.cell_id,
            ename=failure.ename,
            evalue=failure.evalue,
        )
    return NotebookRun(
        run_id=run_id,
        experiment_id=experiment_id,
        experiment=plan.experiment,
        notebook=plan.rel,
        output=target,
        parameters=plan.params,
    )
