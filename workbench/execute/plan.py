"""Everything `workbench run` checks before an MLflow run exists: file, JSON, kernel, parameter
names, working directory, output path, experiment. A pure-ish pass (it reads the notebook and the
kernel list, writes nothing but the --output folder), so bad input never leaves a RUNNING run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.execute.environment import project_relative
from workbench.execute.errors import NotebookInputError
from workbench.execute.notebook import read_notebook
from workbench.execute.params import (
    Overrides,
    merge_parameters,
    notebook_parameters,
    papermill_input,
    typed_overrides,
)


@dataclass(frozen=True)
class RunPlan:
    """A validated request: what to execute, with which parameters, where the output goes."""

    path: Path  # absolute notebook path
    rel: str  # project-relative (tags, WORKBENCH_NOTEBOOK)
    overrides: dict[str, Any]  # what papermill injects
    params: dict[str, Any]  # defaults merged with overrides: what is logged
    kernel_cwd: Path
    output: Path | None  # None: .workbench/runs/<run_id>/ once the run id is known
    experiment: str
    # the notebook papermill reads when it is not the file itself (Kale's parameters tag)
    source: Any = None


def check_kernel(nb: Any, path: Path) -> None:
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


def output_path(output: str | Path | None, notebook: Path) -> Path | None:
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


def experiment_name(explicit: str | None, params: Mapping[str, Any], notebook: Path) -> str:
    """--experiment, else the notebook's own `experiment` parameter, else the notebook's stem."""
    if explicit:
        return explicit
    value = params.get("experiment")
    if isinstance(value, str) and value:
        return value
    return notebook.stem


def plan_run(
    notebook: str | Path,
    parameters: Mapping[str, Any] | Overrides | None,
    *,
    root: Path,
    output: str | Path | None = None,
    cwd: str | Path | None = None,
    experiment: str | None = None,
) -> RunPlan:
    path = Path(notebook).resolve()
    nb = read_notebook(path)
    check_kernel(nb, path)
    rel = project_relative(path, root)
    found = notebook_parameters(nb, rel)
    given = (
        parameters if isinstance(parameters, Overrides) else Overrides({}, dict(parameters or {}))
    )
    overrides = typed_overrides(rel, found, given)
    defaults = found.defaults
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
    return RunPlan(
        path=path,
        rel=rel,
        overrides=overrides,
        params=params,
        kernel_cwd=kernel_cwd,
        output=output_path(output, path),
        experiment=experiment_name(experiment, params, path),
        source=papermill_input(nb, found),
    )
