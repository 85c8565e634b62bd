"""`run_notebook`: execute a notebook with papermill as exactly one MLflow run.

The run is created here, before the kernel starts, so its id can be handed to the kernel
(MLFLOW_RUN_ID) and so the executed notebook can be attached to it whatever happens in the cells.
Everything that can be checked without executing (file, JSON, parameter names, working
directory) is checked before the run exists: bad input never leaves a RUNNING run behind.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.settings import settings
from workbench.execute.environment import environment, git_commit, project_relative
from workbench.execute.errors import NotebookFailed, NotebookInputError
from workbench.execute.notebook import CellFailure, find_failure, read_notebook
from workbench.execute.params import merge_parameters, notebook_defaults, param_text

ARTIFACT_DIR = "notebook"
RUNS_DIR = ".workbench/runs"
MAX_PARAMS_PER_BATCH = 100  # MLflow's log_batch limit


@dataclass(frozen=True)
class NotebookRun:
    """A finished execution: the MLflow run and the executed notebook on disk."""

    run_id: str
    experiment_id: str
    experiment: str
    notebook: str  # project-relative path
    output: Path
    parameters: dict[str, Any] = field(default_factory=dict)


def _experiment_name(explicit: str | None, params: Mapping[str, Any], notebook: Path) -> str:
    """--experiment, else the notebook's own `experiment` parameter, else the notebook's stem."""
    if explicit:
        return explicit
    value = params.get("experiment")
    if isinstance(value, str) and value:
        return value
    return notebook.stem


def _check_kernel(nb: Any, path: Path) -> None:
    """The notebook names a kernel that is installed (else papermill fails after the run began)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    name = nb.metadata.get("kernelspec", {}).get("name")
    if not name:
        raise NotebookInputError(
            f"{path}: metadata.kernelspec.name is missing, so no kernel can be chosen; "
            "open and save the notebook in Jupyter once"
        )
    manager = KernelSpecManager()
    try:
        manager.get_kernel_spec(name)
    except NoSuchKernel:
        known = ", ".join(sorted(manager.find_kernel_specs())) or "none"
        raise NotebookInputError(
            f"{path}: kernel {name!r} is not installed (installed: {known})"
        ) from None


def _output_path(output: str | Path | None, notebook: Path) -> Path | None:
    """An explicit --output, checked and its folder created before any run exists."""
    if output is None:
        return None
    target = Path(output).resolve()
    if target == notebook:
        raise NotebookInputError(f"{output}: --output would overwrite the notebook itself")
    if target.suffix != ".ipynb":
        raise NotebookInputError(f"{output}: --output must be a .ipynb path")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NotebookInputError(f"{output}: cannot create its folder: {exc}") from exc
    return target


def _tags(rel: str, root: Path) -> dict[str, str]:
    tags = {
        "mlflow.source.name": rel,
        "mlflow.source.type": "NOTEBOOK",
        "workbench.notebook": rel,
        "workbench.executor": "papermill",
    }
    commit = git_commit(root)
    if commit:
        tags["mlflow.source.git.commit"] = commit
    with contextlib.suppress(KeyError, OSError):  # no passwd entry in some containers
        tags["mlflow.user"] = getpass.getuser()
    return tags


def _log_params(client: Any, run_id: str, params: Mapping[str, Any]) -> None:
    from mlflow.entities import Param

    items = [Param(name, param_text(params[name])) for name in sorted(params)]
    for start in range(0, len(items), MAX_PARAMS_PER_BATCH):
        client.log_batch(run_id, params=items[start : start + MAX_PARAMS_PER_BATCH])


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
) -> NotebookRun:
    """Execute `notebook` with `parameters` overriding its `parameters` cell, as one MLflow run.

    Raises NotebookInputError (nothing executed) or NotebookFailed (run FAILED, executed
    notebook attached). The executed notebook goes to `.workbench/runs/<run_id>/` by default.
    """
    from mlflow import MlflowClient

    from workbench.tracking.config import configure

    cfg = settings()
    path = Path(notebook).resolve()
    nb = read_notebook(path)
    _check_kernel(nb, path)
    rel = project_relative(path, cfg.root)
    overrides = dict(parameters or {})
    defaults = notebook_defaults(path)
    # The notebook's own set_experiment(experiment) must name the run's experiment: MLflow
    # refuses to resume MLFLOW_RUN_ID under a different active experiment.
    if (
        experiment
        and "experiment" in defaults
        and overrides.setdefault("experiment", experiment) != experiment
    ):
        raise NotebookInputError(
            f"{rel}: --experiment {experiment!r} contradicts "
            f"parameter experiment={overrides['experiment']!r}"
        )
    params = merge_parameters(rel, defaults, overrides)
    kernel_cwd = Path(cwd).resolve() if cwd is not None else path.parent
    if not kernel_cwd.is_dir():
        raise NotebookInputError(f"{cwd}: working directory does not exist")
    explicit_output = _output_path(output, path)

    name = _experiment_name(experiment, params, path)
    experiment_id = configure(name)
    assert experiment_id is not None  # configure returns an id whenever a name is given
    client = MlflowClient()
    run = client.create_run(
        experiment_id, run_name=run_name or path.stem, tags=_tags(rel, cfg.root)
    )
    run_id = run.info.run_id
    target = explicit_output or cfg.root / RUNS_DIR / run_id / path.name
    status = "FAILED"
    failure: CellFailure | None = None
    try:
        _log_params(client, run_id, params)
        target.parent.mkdir(parents=True, exist_ok=True)
        env = {
            "MLFLOW_RUN_ID": run_id,
            "MLFLOW_EXPERIMENT_ID": experiment_id,
            "MLFLOW_TRACKING_URI": cfg.tracking_uri,
            "MLFLOW_REGISTRY_URI": cfg.registry_uri,
            "WORKBENCH_NOTEBOOK": rel,
            "WORKBENCH_PROJECT": str(cfg.root),
        }
        failure = _execute(path, target, overrides, kernel_cwd, env)
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
            f"{rel}: {failure.describe()}\nrun {run_id} is FAILED; executed notebook: {target}",
            run_id=run_id,
            cell_index=failure.index,
            cell_id=failure.cell_id,
            ename=failure.ename,
            evalue=failure.evalue,
        )
    return NotebookRun(
        run_id=run_id,
        experiment_id=experiment_id,
        experiment=name,
        notebook=rel,
        output=target,
        parameters=params,
    )
